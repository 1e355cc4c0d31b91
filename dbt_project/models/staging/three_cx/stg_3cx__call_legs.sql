{{ stage_call_legs('three_cx_call_legs') }}
