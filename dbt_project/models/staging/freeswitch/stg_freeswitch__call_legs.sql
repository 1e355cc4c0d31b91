{{ stage_call_legs('freeswitch_call_legs') }}
