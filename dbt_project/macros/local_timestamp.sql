{#- Naive UTC timestamp -> naive local wall-clock time in an IANA zone (a column or a literal).
    `at time zone 'UTC'` reads the naive value as UTC (timestamptz); the second `at time zone`
    renders it in the zone, DST included. Same semantics on DuckDB (ICU) and Postgres. -#}
{% macro local_timestamp(utc_timestamp, timezone) -%}
    ((({{ utc_timestamp }}) at time zone 'UTC') at time zone ({{ timezone }}))
{%- endmacro %}

{#- Minutes since local midnight (0..1439) of a naive local timestamp, as an integer. -#}
{% macro minute_of_day(local_ts) -%}
    (cast(extract(hour from {{ local_ts }}) as integer) * 60
        + cast(extract(minute from {{ local_ts }}) as integer))
{%- endmacro %}

{#- 'HH:MM' (or 'H:MM') text -> minutes since midnight; null for blank or malformed text. -#}
{% macro hhmm_to_minutes(text_column) -%}
    case
        when trim({{ text_column }}) ~ '^[0-9]{1,2}:[0-9]{2}$'
            then cast(split_part(trim({{ text_column }}), ':', 1) as integer) * 60
                + cast(split_part(trim({{ text_column }}), ':', 2) as integer)
    end
{%- endmacro %}
