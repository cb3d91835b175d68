//! The tables, in portable types shared by the SQLite and PostgreSQL migrations.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        balance -> BigInt,
        api_key_hash -> Text,
        api_key_enc -> Text,
        disabled -> Bool,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        session_epoch -> BigInt,
        language -> Nullable<Text>,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        amount -> BigInt,
        balance_after -> BigInt,
        order_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    catalog_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        target -> Nullable<Text>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(ledger_entries -> users (user_id));

diesel::table! {
    providers (id) {
        id -> BigInt,
        name -> Text,
        api_url -> Text,
        api_key_enc -> Text,
        api_key_hint -> Text,
        on_ambiguous -> Text,
        enabled -> Bool,
        deleted_at -> Nullable<Timestamp>,
        calls_total -> BigInt,
        calls_failed -> BigInt,
        latency_ms_total -> BigInt,
        last_success_at -> Nullable<Timestamp>,
        last_error_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        balance -> Nullable<BigInt>,
        balance_currency -> Nullable<Text>,
        balance_checked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        multi_status -> Nullable<Bool>,
        currency -> Nullable<Text>,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        name -> Text,
        sort_order -> BigInt,
        enabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    services (id) {
        id -> BigInt,
        category_id -> BigInt,
        name -> Text,
        provider_id -> Nullable<BigInt>,
        provider_service_id -> Nullable<Text>,
        rate_per_1000 -> BigInt,
        provider_rate_per_1000 -> Nullable<BigInt>,
        min_quantity -> BigInt,
        max_quantity -> BigInt,
        mode -> Text,
        refill -> Bool,
        cancel -> Bool,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        accepts_username -> Bool,
        refill_days -> BigInt,
        imported -> Bool,
        kind -> Text,
        dripfeed -> Bool,
    }
}

diesel::table! {
    order_requests (id) {
        id -> BigInt,
        kind -> Text,
        order_id -> BigInt,
        user_id -> BigInt,
        state -> Text,
        status -> Text,
        open -> Bool,
        provider_refill_id -> Nullable<Text>,
        provider_status -> Nullable<Text>,
        attempts -> BigInt,
        next_attempt_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        last_error -> Nullable<Text>,
        last_status_check -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(order_requests -> orders (order_id));

diesel::joinable!(services -> categories (category_id));
diesel::joinable!(services -> providers (provider_id));
diesel::table! {
    sync_rounds (id) {
        id -> BigInt,
        trigger -> Text,
        runner -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        checked -> BigInt,
        changed -> BigInt,
        errors -> BigInt,
        error_summary -> Nullable<Text>,
    }
}

diesel::table! {
    sync_schedule (id) {
        id -> BigInt,
        next_run_at -> Timestamp,
        runner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payment_methods (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        account -> Text,
        instructions -> Text,
        min_amount -> BigInt,
        max_amount -> BigInt,
        enabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fund_requests (id) {
        id -> BigInt,
        user_id -> BigInt,
        method_id -> BigInt,
        amount -> BigInt,
        txn_id -> Text,
        state -> Text,
        reason -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(fund_requests -> payment_methods (method_id));

diesel::allow_tables_to_appear_in_same_query!(
    payment_methods,
    fund_requests,
    sync_rounds,
    sync_schedule,
    orders,
    order_extras,
    order_requests,
    providers,
    categories,
    services,
    users,
    ledger_entries,
    settings,
    audit_log
);

diesel::table! {
    orders (id) {
        id -> BigInt,
        user_id -> BigInt,
        service_id -> BigInt,
        provider_id -> Nullable<BigInt>,
        provider_service_id -> Nullable<Text>,
        link -> Text,
        quantity -> BigInt,
        charge -> BigInt,
        currency -> Text,
        rate_per_1000 -> BigInt,
        usd_to_bdt -> BigInt,
        provider_cost -> Nullable<BigInt>,
        status -> Text,
        forward_state -> Text,
        provider_order_id -> Nullable<Text>,
        provider_status -> Nullable<Text>,
        start_count -> Nullable<BigInt>,
        remains -> Nullable<BigInt>,
        last_status_check -> Nullable<Timestamp>,
        is_manual -> Bool,
        admin_notes -> Nullable<Text>,
        attempts -> BigInt,
        next_attempt_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        status_errors -> BigInt,
        review_reason -> Nullable<Text>,
    }
}

diesel::table! {
    order_extras (order_id) {
        order_id -> BigInt,
        runs -> Nullable<BigInt>,
        run_interval -> Nullable<BigInt>,
        comments -> Nullable<Text>,
    }
}

diesel::joinable!(order_extras -> orders (order_id));

diesel::joinable!(orders -> services (service_id));
diesel::joinable!(orders -> users (user_id));
diesel::joinable!(orders -> providers (provider_id));

diesel::table! {
    metric_samples (instance, span, at) {
        instance -> Text,
        span -> Integer,
        at -> BigInt,
        requests -> BigInt,
        errors -> BigInt,
        p50_ms -> BigInt,
        p95_ms -> BigInt,
        p99_ms -> BigInt,
        cpu_ms -> BigInt,
        rss_bytes -> BigInt,
        queue_depth -> BigInt,
        sync_rounds -> BigInt,
        sync_ms -> BigInt,
    }
}

diesel::table! {
    metric_provider_samples (instance, span, at, provider_id) {
        instance -> Text,
        span -> Integer,
        at -> BigInt,
        provider_id -> BigInt,
        calls -> BigInt,
        errors -> BigInt,
        latency_ms_sum -> BigInt,
        latency_ms_max -> BigInt,
    }
}

diesel::table! {
    /// The rate limit's per-minute counters, shared by every process (PostgreSQL).
    limit_windows (bucket, window_start) {
        bucket -> Text,
        window_start -> BigInt,
        hits -> Integer,
    }
}

diesel::table! {
    /// The sign-in throttle's counters, shared by every process (PostgreSQL).
    login_throttle (bucket) {
        bucket -> Text,
        attempts -> Integer,
        window_start_ms -> BigInt,
        locked_until_ms -> Nullable<BigInt>,
        lockouts -> Integer,
    }
}
