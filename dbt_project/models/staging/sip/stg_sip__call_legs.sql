{{ stage_call_legs('sip_call_legs') }}
