{{ stage_call_legs('avaya_call_legs') }}
