//! Hearing other processes' commits: `LISTEN lagesbild_data_version`.

use postgres::{Client, NoTls};

/// `LISTEN lagesbild_data_version` on a connection of its own, forever: every
/// notification calls `on_change`; a lost connection is retried every second (and
/// `on_change` called once it is back, since notifications may have been missed).
pub(super) fn listen_loop(url: &str, on_change: &(dyn Fn() + Send + Sync)) {
    use postgres::fallible_iterator::FallibleIterator;
    let mut lost = false;
    loop {
        let listened = Client::connect(url, NoTls).and_then(|mut client| {
            client.batch_execute("LISTEN lagesbild_data_version")?;
            if lost {
                tracing::info!("LISTEN connection to the database is back");
                on_change();
            }
            let mut notifications = client.notifications();
            let mut it = notifications.blocking_iter();
            while it.next()?.is_some() {
                on_change();
            }
            Ok(())
        });
        if let Err(e) = listened {
            if !lost {
                tracing::warn!(error = %e, "LISTEN for data versions failed; polling until it is back");
            }
            lost = true;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
