//! Tests of partners, tokens and the audit log on a real SQLite file.

use chrono::{Duration, Utc};

use super::*;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.db")).unwrap();
    put_partner(&store, "polisen", "Polisen", true, "test").unwrap();
    put_partner(&store, "bostadsbolaget", "Bostadsbolaget", false, "test").unwrap();
    put_partner(&store, "kommunen", "Kommunen", true, "test").unwrap();
    (dir, store)
}

#[test]
fn tokens_are_random_stored_as_hashes_and_verified() {
    let (_d, store) = store();
    let (t1, info) =
        tokens::create(&store, "polisen", Role::Analyst, "anna", None, "test").unwrap();
    let (t2, _) = tokens::create(&store, "polisen", Role::Analyst, "anna", None, "test").unwrap();
    assert_ne!(t1, t2);
    assert_eq!(t1.len(), 4 + 64);
    // Only the hash is stored (the SQL-level check is in store::sqlite's tests).
    assert_eq!(
        store.token_by_hash(&tokens::hash(&t1)).unwrap().unwrap().0,
        tokens::hash(&t1).to_vec()
    );
    let now = Utc::now();
    assert_eq!(
        tokens::verify(&store, &t1, now).unwrap().unwrap().id,
        info.id
    );
    // One changed character, a truncation, garbage: no match.
    let mut wrong = t1.clone().into_bytes();
    wrong[10] = if wrong[10] == b'a' { b'b' } else { b'a' };
    assert!(
        tokens::verify(&store, &String::from_utf8(wrong).unwrap(), now)
            .unwrap()
            .is_none()
    );
    assert!(tokens::verify(&store, &t1[..60], now).unwrap().is_none());
    assert!(tokens::verify(&store, "", now).unwrap().is_none());
    assert!(
        tokens::verify(&store, &"x".repeat(100_000), now)
            .unwrap()
            .is_none()
    );
}

#[test]
fn tokens_expire_and_are_revoked() {
    let (_d, store) = store();
    let now = Utc::now();
    let (t, info) = tokens::create(
        &store,
        "kommunen",
        Role::Viewer,
        "",
        Some(now + Duration::hours(1)),
        "test",
    )
    .unwrap();
    assert!(tokens::verify(&store, &t, now).unwrap().is_some());
    assert!(
        tokens::verify(&store, &t, now + Duration::hours(2))
            .unwrap()
            .is_none()
    );
    tokens::revoke(&store, info.id, "test").unwrap();
    assert!(tokens::verify(&store, &t, now).unwrap().is_none());
    let listed = tokens::list(&store).unwrap();
    assert!(listed[0].revoked_at.is_some());
    assert!(matches!(
        tokens::revoke(&store, 999, "test"),
        Err(AccessError::UnknownToken(999))
    ));
    // Expiry in the past and unknown partners are refused.
    assert!(
        tokens::create(
            &store,
            "kommunen",
            Role::Viewer,
            "",
            Some(now - Duration::hours(1)),
            "t"
        )
        .is_err()
    );
    assert!(matches!(
        tokens::create(&store, "nobody", Role::Viewer, "", None, "t"),
        Err(AccessError::UnknownPartner(_))
    ));
}

#[test]
fn expiry_parses_durations_and_dates() {
    let now = Utc::now();
    assert_eq!(
        tokens::parse_expiry("90d", now).unwrap(),
        now + Duration::days(90)
    );
    assert_eq!(
        tokens::parse_expiry("12h", now).unwrap(),
        now + Duration::hours(12)
    );
    assert_eq!(
        tokens::parse_expiry("2027-06-30", now)
            .unwrap()
            .to_rfc3339(),
        "2027-06-30T00:00:00+00:00"
    );
    for bad in [
        "",
        "d",
        "-5d",
        "0d",
        "tomorrow",
        "99999999999d",
        "2027-13-01",
    ] {
        assert!(tokens::parse_expiry(bad, now).is_err(), "{bad}");
    }
}

#[test]
fn token_and_partner_changes_are_audited() {
    let (_d, store) = store();
    let (_, info) = tokens::create(&store, "polisen", Role::Reporter, "", None, "anna").unwrap();
    tokens::revoke(&store, info.id, "anna").unwrap();
    let all = audit::list(
        &store,
        &audit::Filter {
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "token.revoke",
            "token.create",
            "partner.put",
            "partner.put",
            "partner.put"
        ]
    );
    assert_eq!(all[0].actor, "cli:anna");
    let only = audit::list(
        &store,
        &audit::Filter {
            action: Some("token".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(only.len(), 2);
    assert_eq!(
        audit::list(
            &store,
            &audit::Filter {
                limit: 10,
                ..Default::default()
            }
        )
        .unwrap(),
        all
    );
}

#[test]
fn visibility_follows_sharing() {
    let (_d, store) = store();
    assert_eq!(
        visible_partners(&store, "polisen", Role::Analyst).unwrap(),
        vec!["kommunen", "polisen"]
    );
    assert_eq!(
        visible_partners(&store, "bostadsbolaget", Role::Analyst).unwrap(),
        vec!["bostadsbolaget", "kommunen", "polisen"]
    );
    assert_eq!(
        visible_partners(&store, "polisen", Role::Reporter).unwrap(),
        vec!["polisen"]
    );
    assert!(
        visible_partners(&store, "polisen", Role::Viewer)
            .unwrap()
            .is_empty()
    );
    assert!(put_partner(&store, "Bad Code", "x", true, "test").is_err());
    assert!(put_partner(&store, "ok", "", true, "test").is_err());
}
