{{ stage_call_legs('teams_call_legs') }}
