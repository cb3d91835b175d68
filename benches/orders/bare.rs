//! The bare limit (phase `bare`): one insert transaction behind a minimal actix handler,
//! on the same database as the app, driven by the same load generator.

use std::net::TcpListener;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::{web, HttpResponse, HttpServer};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use serde_json::json;
use smm_panel::config::DatabaseUrl;
use smm_panel::db::{DbConnection, DbPool};

use crate::app::BenchDb;
use crate::knobs::Knobs;
use crate::loadgen::{drive, LoadResult};

/// The phase: the bare server at the bench's concurrency.
pub fn run(db: &BenchDb, knobs: &Knobs, service_id: i64) -> LoadResult {
    let bare = spawn_bare(db, knobs);
    drive(
        "bare limit (actix + 1 insert tx)",
        &bare.url,
        &[],
        service_id,
        "bare",
        knobs,
    )
}

diesel::table! {
    bench_bare (id) {
        id -> BigInt,
        link -> Text,
        quantity -> BigInt,
        created_at -> Timestamp,
    }
}

#[derive(diesel::Insertable)]
#[diesel(table_name = bench_bare)]
struct NewBare<'a> {
    link: &'a str,
    quantity: i64,
    created_at: chrono::NaiveDateTime,
}

#[derive(serde::Deserialize)]
struct BareBody {
    link: String,
    qty: i64,
}

async fn bare_insert(pool: web::Data<DbPool>, body: web::Json<BareBody>) -> HttpResponse {
    let pool = pool.into_inner();
    let done = web::block(move || -> Result<usize, String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        smm_panel::db::write_transaction(&mut conn, |c| {
            diesel::insert_into(bench_bare::table)
                .values(&NewBare {
                    link: &body.link,
                    quantity: body.qty,
                    created_at: smm_panel::db::now(),
                })
                .execute(c)
        })
        .map_err(|e: diesel::result::Error| e.to_string())
    })
    .await;
    match done {
        Ok(Ok(_)) => HttpResponse::Created().json(json!({"success": true})),
        Ok(Err(e)) => HttpResponse::InternalServerError().json(json!({"success": false, "error": e})),
        Err(e) => HttpResponse::InternalServerError().json(json!({"success": false, "error": e.to_string()})),
    }
}

struct BareServer {
    url: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

/// The same database, its own table and its own pool of the app's size; actix's default
/// number of HTTP workers, as the app has.
fn spawn_bare(db: &BenchDb, knobs: &Knobs) -> BareServer {
    let url = DatabaseUrl::parse(&db.url).expect("database URL");
    let pool = smm_panel::db::connect(&url, (knobs.workers as u32 + 12).min(64)).expect("bare pool");
    {
        let mut conn = pool.get().expect("connection");
        let ddl = match &mut *conn {
            DbConnection::Sqlite(_) => {
                "CREATE TABLE bench_bare (id INTEGER PRIMARY KEY AUTOINCREMENT, link TEXT NOT NULL, \
                 quantity BIGINT NOT NULL, created_at TIMESTAMP NOT NULL)"
            }
            DbConnection::Postgres(_) => {
                "CREATE TABLE bench_bare (id BIGSERIAL PRIMARY KEY, link TEXT NOT NULL, \
                 quantity BIGINT NOT NULL, created_at TIMESTAMP NOT NULL)"
            }
        };
        conn.batch_execute(ddl).expect("create bench_bare");
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let data = web::Data::new(pool);
            let server = HttpServer::new(move || {
                actix_web::App::new()
                    .app_data(data.clone())
                    .route("/bare", web::post().to(bare_insert))
            })
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run();
            let _ = tx.send(server.handle());
            let _ = server.await;
        })
    });
    BareServer {
        url: format!("http://127.0.0.1:{port}/bare"),
        handle: rx.recv().expect("bare server started"),
        thread: Some(thread),
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false))).join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
