{{ stage_call_legs('cucm_call_legs') }}
