//! The real `smm-panel` binary: create-admin, migrate, configuration errors, --help.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use smm_panel::domain::Role;
use smm_panel::service::accounts;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_smm-panel");

fn run(env: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run smm-panel");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

#[test]
fn create_admin_reads_the_password_from_stdin() {
    let app = spawn_app();
    // The same database and SECRET_KEY as the running app.
    let env_vec: Vec<(&str, &str)> = app.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let output = run(
        &env_vec,
        &["create-admin", "--email", "Root@Example.com", "--super"],
        "super-secret-pw\n",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("root@example.com"));
    assert!(!text(&output.stdout).contains("super-secret-pw") && !text(&output.stderr).contains("super-secret-pw"));

    let token = app.api().token("root@example.com", "super-secret-pw");
    let me = json(app.api().get("/api/user/me", Some(&token)), 200);
    assert_eq!(me["role"], "super_admin");
    assert_eq!(json(app.api().get("/api/admin/users", Some(&token)), 200)["total"], 1);

    let mut conn = app.state.conn().unwrap();
    let (audit, _) = smm_panel::db::audit::page(&mut conn, Some("admin.create"), 0, 10).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].ip.as_deref(), Some("cli"));

    let taken = run(
        &env_vec,
        &["create-admin", "--email", "ROOT@example.com"],
        "another-pass-1\n",
    );
    assert!(!taken.status.success());
    assert!(
        text(&taken.stderr).contains("already exists"),
        "{}",
        text(&taken.stderr)
    );

    let weak = run(&env_vec, &["create-admin", "--email", "weak@example.com"], "short\n");
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("at least 8 characters"),
        "{}",
        text(&weak.stderr)
    );
    let empty = run(&env_vec, &["create-admin", "--email", "empty@example.com"], "");
    assert!(!empty.status.success());
    let users = accounts::list(
        &app.state,
        None,
        smm_panel::service::pagination::PageRequest { page: 1, per_page: 50 },
    )
    .unwrap();
    assert_eq!(users.total, 1, "refused admins were not created");
    assert_eq!(users.items[0].role, Role::SuperAdmin);
}

#[test]
fn bad_configuration_stops_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    for (var, value) in [
        ("WORKERS", "abc"),
        ("DATABASE_URL", "mysql://root@localhost/panel"),
        ("DATABASE_URL", "postgres://"),
        ("SECRET_KEY", "not-hex"),
        ("SECRET_KEY", "abcd"),
        ("SYNC_INTERVAL_SECS", "-5"),
        ("RATE_LIMIT_PER_MIN", "lots"),
        ("COOKIE_SECURE", "perhaps"),
        ("BIND", "no-such-address"),
    ] {
        let output = run(&[("DATA_DIR", &data), (var, value)], &["migrate"], "");
        assert!(!output.status.success(), "{var}={value} must be refused");
        let stderr = text(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{var}={value}: one line, got: {stderr}");
        assert!(lines[0].contains(var), "{var}={value}: {stderr}");
    }
}

#[test]
fn migrate_twice_is_a_no_op_and_the_secret_key_is_generated_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(&dir);
    let data = dir.path().display().to_string();
    let env = [("DATA_DIR", data.as_str()), ("DATABASE_URL", db.url.as_str())];

    let first = run(&env, &["migrate"], "");
    assert!(first.status.success(), "{}", text(&first.stderr));
    let key_path = dir.path().join("secret.key");
    let key = std::fs::read_to_string(&key_path).expect("secret.key generated");
    assert_eq!(key.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let second = run(&env, &["migrate"], "");
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(text(&second.stdout).contains("up to date"));
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), key, "the key is reused");

    // The schema is complete and usable after both runs.
    let mut config = smm_panel::config::Config::from_lookup(|k| match k {
        "DATA_DIR" => Some(data.clone()),
        "DATABASE_URL" => Some(db.url.clone()),
        "BCRYPT_COST" => Some("4".into()),
        _ => None,
    })
    .unwrap();
    config.ensure_secret_key().unwrap();
    let pool = smm_panel::db::connect(&config.database_url, 2).unwrap();
    assert_eq!(smm_panel::db::migrate(&pool).unwrap(), 0, "nothing left to apply");
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["demo", "--help"],
        &["migrate", "--help"],
        &["create-admin", "--help"],
    ] {
        let output = run(&[], args, "");
        assert!(output.status.success(), "{args:?}");
        assert!(text(&output.stdout).contains("Usage"), "{args:?}");
    }
    let output = run(&[], &["create-admin", "--help"], "");
    assert!(text(&output.stdout).contains("--email"));
    assert!(text(&output.stdout).contains("--super"));
}
