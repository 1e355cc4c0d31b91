"""The streaming sidecar (`callmeter stream`): live state and fraud alerts ahead of the batch layer."""
