{{ stage_call_legs('mitel_call_legs') }}
