//! A small connection pool shared by the backends: idle connections kept for reuse, a
//! borrowed one given back when dropped unless it can no longer be used.

use std::sync::Mutex;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

/// A connection that can say whether it may go back to the pool.
pub(crate) trait Reusable {
    /// False when a transaction is still open on it or it is closed.
    fn reusable(&self) -> bool;
}

/// Idle connections of one database.
pub(crate) struct Pool<C> {
    idle: Mutex<Vec<C>>,
}

impl<C: Reusable> Pool<C> {
    pub(crate) fn new() -> Pool<C> {
        Pool {
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle connection, or one made by `connect`.
    pub(crate) fn get<E>(
        &self,
        connect: impl FnOnce() -> Result<C, E>,
    ) -> Result<Pooled<'_, C>, E> {
        let reused = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match reused {
            Some(c) => c,
            None => connect()?,
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
        })
    }

    /// Keeps `conn` for reuse (up to [`MAX_IDLE`]).
    pub(crate) fn put(&self, conn: C) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

/// A borrowed connection; goes back to its pool when dropped, if still reusable.
pub(crate) struct Pooled<'a, C: Reusable> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<C: Reusable> std::ops::Deref for Pooled<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        // Set in `Pool::get`, taken only in `drop`.
        self.conn.as_ref().expect("pooled connection present")
    }
}

impl<C: Reusable> std::ops::DerefMut for Pooled<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn.as_mut().expect("pooled connection present")
    }
}

impl<C: Reusable> Drop for Pooled<'_, C> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take()
            && c.reusable()
        {
            self.pool.put(c);
        }
    }
}
