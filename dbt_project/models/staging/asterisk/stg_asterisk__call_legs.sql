{{ stage_call_legs('asterisk_call_legs') }}
