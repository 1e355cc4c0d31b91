-- Budget against actual cost per tenant, budget holder (a cost centre or a department) and month:
-- month-to-date cost, projected month-end (run rate for the current month: mtd cost / elapsed
-- days * days in month; the actual for past months; null for future months) and the same month
-- last year. "Today" is var('callmeter_as_of') (YYYY-MM-DD) if set, else the build's current_date.
-- Rows: every budget, plus each cost centre with cost but no budget that month. Costs count in
-- the budget's currency (else the tenant's).
{%- set as_of = var('callmeter_as_of', none) %}
with

legs as (
    select * from {{ ref('fct_call_legs') }}
),

budgets as (
    select * from {{ ref('stg_reference__budgets') }}
),

tenants as (
    select * from {{ ref('stg_config__tenants') }}
),

today as (
    select
        {% if as_of %}cast('{{ as_of }}' as date){% else %}current_date{% endif %} as as_of_date
),

leg_months as (
    select
        tenant_id,
        cost_centre,
        department,
        currency,
        cast({{ dbt.date_trunc('month', 'started_local_at') }} as date) as month,
        cast(started_local_at as date) as started_local_date,
        coalesce(cost, 0) as cost
    from legs
),

actuals as (
    select
        leg_months.tenant_id,
        'cost_centre' as budget_level,
        leg_months.cost_centre as budget_holder,
        leg_months.currency,
        leg_months.month,
        sum(leg_months.cost) as cost
    from leg_months
    cross join today
    where leg_months.started_local_date <= today.as_of_date
    group by leg_months.tenant_id, leg_months.cost_centre, leg_months.currency, leg_months.month
    union all
    select
        leg_months.tenant_id,
        'department' as budget_level,
        leg_months.department as budget_holder,
        leg_months.currency,
        leg_months.month,
        sum(leg_months.cost) as cost
    from leg_months
    cross join today
    where leg_months.started_local_date <= today.as_of_date
    group by leg_months.tenant_id, leg_months.department, leg_months.currency, leg_months.month
),

budget_rows as (
    select
        budgets.tenant_id,
        case when budgets.cost_centre is not null then 'cost_centre' else 'department' end
            as budget_level,
        coalesce(budgets.cost_centre, budgets.department) as budget_holder,
        coalesce(budgets.currency, tenants.currency) as currency,
        budgets.budget_month as month,
        sum(budgets.amount) as budget
    from budgets
    left join tenants on budgets.tenant_id = tenants.tenant_id
    where coalesce(budgets.cost_centre, budgets.department) is not null
    group by
        budgets.tenant_id,
        case when budgets.cost_centre is not null then 'cost_centre' else 'department' end,
        coalesce(budgets.cost_centre, budgets.department),
        coalesce(budgets.currency, tenants.currency),
        budgets.budget_month
),

report_keys as (
    select tenant_id, budget_level, budget_holder, currency, month from budget_rows
    union
    select tenant_id, budget_level, budget_holder, currency, month from actuals
    where budget_level = 'cost_centre'
),

measured as (
    select
        report_keys.tenant_id,
        report_keys.budget_level,
        report_keys.budget_holder,
        report_keys.currency,
        report_keys.month,
        budget_rows.budget,
        coalesce(actuals.cost, 0) as mtd_cost,
        last_year.cost as same_month_last_year_cost,
        cast(extract(day from {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'report_keys.month')) }}) as integer)
            as days_in_month,
        case
            when report_keys.month > today.as_of_date then 'future'
            when cast({{ dbt.date_trunc('month', 'today.as_of_date') }} as date) = report_keys.month
                then 'current'
            else 'past'
        end as month_status,
        cast(extract(day from today.as_of_date) as integer) as days_elapsed
    from report_keys
    cross join today
    left join budget_rows
        on report_keys.tenant_id = budget_rows.tenant_id
        and report_keys.budget_level = budget_rows.budget_level
        and report_keys.budget_holder = budget_rows.budget_holder
        and report_keys.currency = budget_rows.currency
        and report_keys.month = budget_rows.month
    left join actuals
        on report_keys.tenant_id = actuals.tenant_id
        and report_keys.budget_level = actuals.budget_level
        and report_keys.budget_holder = actuals.budget_holder
        and report_keys.currency = actuals.currency
        and report_keys.month = actuals.month
    left join actuals as last_year
        on report_keys.tenant_id = last_year.tenant_id
        and report_keys.budget_level = last_year.budget_level
        and report_keys.budget_holder = last_year.budget_holder
        and report_keys.currency = last_year.currency
        and cast({{ dbt.dateadd('year', -1, 'report_keys.month') }} as date) = last_year.month
),

final as (
    select
        tenant_id,
        budget_level,
        case when budget_level = 'cost_centre' then budget_holder end as cost_centre,
        case when budget_level = 'department' then budget_holder end as department,
        month,
        currency,
        cast(budget as numeric(18, 4)) as budget,
        cast(mtd_cost as numeric(18, 4)) as mtd_cost,
        cast(
            case
                when month_status = 'past' then mtd_cost
                when month_status = 'current'
                    then {{ decimal_div_round('mtd_cost * days_in_month', 'days_elapsed', 4) }}
            end as numeric(18, 4)
        ) as projected_month_end_cost,
        cast(same_month_last_year_cost as numeric(18, 4)) as same_month_last_year_cost,
        month_status,
        days_in_month,
        case when month_status = 'current' then days_elapsed end as days_elapsed
    from measured
)

select * from final
