{#- The E.164 digits (no '+') of a dialled number, from the site's dial plan; null for internal or
    unreadable numbers. The same rules as callmeter/dialplan.py (kept in step by tests):
    '+' = already E.164; a short emergency number -> country code + number; the outside-line
    prefix is stripped where what follows is longer than an extension (or an emergency number);
    a number no longer than an extension is internal; international prefix -> as is; national
    prefix -> country code + rest; anything else is local to the site's country.
    `digits` is the number with decoration removed; `site` the alias of a row carrying the dial
    plan columns and `emergency_list` (',999,112,'). -#}
{% macro to_e164(digits, site) -%}
    {%- set outside = site ~ ".outside_line_prefix" -%}
    {%- set rest = "substr(" ~ digits ~ ", length(" ~ outside ~ ") + 1)" -%}
    {%- set stripped -%}
        case
            when {{ outside }} <> ''
                and left({{ digits }}, length({{ outside }})) = {{ outside }}
                and length({{ rest }}) > {{ site }}.extension_digits
                then {{ rest }}
            else {{ digits }}
        end
    {%- endset -%}
    case
        when {{ digits }} is null or {{ digits }} = '' then null
        when left({{ digits }}, 1) = '+'
            then case when {{ is_digits("substr(" ~ digits ~ ", 2)") }} then substr({{ digits }}, 2) end
        when not {{ is_digits(digits) }} then null
        when position(',' || {{ digits }} || ',' in {{ site }}.emergency_list) > 0
            then {{ site }}.country_code || {{ digits }}
        when {{ outside }} <> ''
            and left({{ digits }}, length({{ outside }})) = {{ outside }}
            and position(',' || {{ rest }} || ',' in {{ site }}.emergency_list) > 0
            then {{ site }}.country_code || {{ rest }}
        when length({{ stripped }}) <= {{ site }}.extension_digits then null
        when {{ site }}.international_prefix <> ''
            and left({{ stripped }}, length({{ site }}.international_prefix)) = {{ site }}.international_prefix
            then nullif(substr({{ stripped }}, length({{ site }}.international_prefix) + 1), '')
        when {{ site }}.national_prefix <> ''
            and left({{ stripped }}, length({{ site }}.national_prefix)) = {{ site }}.national_prefix
            then {{ site }}.country_code || substr({{ stripped }}, length({{ site }}.national_prefix) + 1)
        else {{ site }}.country_code || {{ stripped }}
    end
{%- endmacro %}

{#- Remove the decoration PBXs put in numbers: spaces, dashes, dots, brackets. -#}
{% macro number_digits(column) -%}
    regexp_replace(trim({{ column }}), '[ ().\t-]', '', 'g')
{%- endmacro %}
