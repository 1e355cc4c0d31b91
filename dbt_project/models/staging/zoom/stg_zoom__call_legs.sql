{{ stage_call_legs('zoom_call_legs') }}
