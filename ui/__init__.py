"""The Streamlit board (`callmeter board`): reads everything through the API."""
