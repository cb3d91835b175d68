//! Accounts: emails, passwords, roles and the kinds of ledger rows.

use std::fmt;

/// A syntactically valid email address, trimmed and lower-cased (so uniqueness is
/// case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter your email address.".into());
        }
        if email.len() > 254 {
            return Err("An email address has at most 254 characters.".into());
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && email
                        .chars()
                        .all(|c| !c.is_whitespace() && !c.is_control() && c != '<' && c != '>' && c != ',')
            }
            None => false,
        };
        if !valid {
            return Err(format!("'{}' is not a valid email address.", input.trim()));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the rules; never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// bcrypt reads at most 72 bytes; refusing longer ones avoids a silent truncation.
    pub const MAX_BYTES: usize = 72;

    pub fn parse(input: &str) -> Result<Self, String> {
        if input.chars().count() < Self::MIN_CHARS {
            return Err(format!("A password needs at least {} characters.", Self::MIN_CHARS));
        }
        if input.len() > Self::MAX_BYTES {
            return Err(format!("A password can have at most {} bytes.", Self::MAX_BYTES));
        }
        if input.trim().is_empty() {
            return Err("A password cannot be only spaces.".into());
        }
        Ok(Self(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(••••)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Admin,
    SuperAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::SuperAdmin => "super_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            "super_admin" => Some(Role::SuperAdmin),
            _ => None,
        }
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::SuperAdmin)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::User => "User",
            Role::Admin => "Admin",
            Role::SuperAdmin => "Super admin",
        }
    }
}

/// What a ledger row records (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Deposit,
    Charge,
    Refund,
    Adjustment,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Deposit => "deposit",
            LedgerKind::Charge => "charge",
            LedgerKind::Refund => "refund",
            LedgerKind::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "deposit" => Some(LedgerKind::Deposit),
            "charge" => Some(LedgerKind::Charge),
            "refund" => Some(LedgerKind::Refund),
            "adjustment" => Some(LedgerKind::Adjustment),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Alice@Example.COM ").unwrap().as_str(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "a@b@c.com",
            "a@.com",
            "a@x..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_chars_and_fit_bcrypt() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("        ").is_err());
        assert!(Password::parse(&"x".repeat(73)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-pass").unwrap()),
            "Password(••••)"
        );
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::User, Role::Admin, Role::SuperAdmin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(Role::SuperAdmin.is_admin() && !Role::User.is_admin());
        assert_eq!(Role::parse("root"), None);
    }
}
