//! The Twilio-compatible SMS provider against a local HTTP server speaking its API.
#![cfg(feature = "ssr")]

use axum::{extract::State, http::HeaderMap, routing::post, Router};
use larkspur::server::{config::Config, sms};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

async fn messages(State(seen): State<Seen>, axum::extract::Path(sid): axum::extract::Path<String>, headers: HeaderMap, body: String) -> &'static str {
    let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    seen.lock().unwrap().push((sid, auth, body));
    r#"{"sid":"SM123","status":"queued"}"#
}

#[tokio::test]
async fn sends_a_form_post_with_basic_auth() {
    let seen: Seen = Arc::default();
    let app = Router::new().route("/2010-04-01/Accounts/{sid}/Messages.json", post(messages)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let vars = HashMap::from([
        ("DATABASE_URL", "postgres://x/y"),
        ("REDIS_URL", "redis://127.0.0.1"),
        ("AUTH_SECRET", "test-secret-test-secret-test-secret!"),
        ("SMS_API_BASE", base.as_str()),
        ("SMS_ACCOUNT_SID", "AC42"),
        ("SMS_AUTH_TOKEN", "token-xyz"),
        ("SMS_FROM", "+15550009999"),
    ]);
    let config = Config::from_map(&vars).unwrap();
    let provider = sms::from_config(&config, reqwest::Client::new()).unwrap();
    provider.send("+15550100100", "Your Larkspur code is 123456.").await.unwrap();

    let seen = seen.lock().unwrap();
    let (sid, auth, body) = &seen[0];
    assert_eq!(sid, "AC42");
    assert_eq!(auth, "Basic QUM0Mjp0b2tlbi14eXo="); // AC42:token-xyz
    assert_eq!(body, "To=%2B15550100100&From=%2B15550009999&Body=Your%20Larkspur%20code%20is%20123456.");
}
