//! What a server accepts: the cell budget of one answer, request timeout, concurrency.

use std::time::Duration;

/// Limits of a server, applied by [`crate::layered`] and by the handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most cells one answer may hold (a slice, a chunk map): more is refused with 413.
    pub cell_budget: u64,
    /// Most cells one request may decode for a reduced view by block means (a strided
    /// view decodes only the blocks holding its cells).
    pub read_budget: u64,
    /// A request taking longer is answered with 408.
    pub request_timeout: Duration,
    /// Requests served at the same time; the others wait.
    pub max_concurrent: usize,
}

impl Default for Limits {
    /// 16 Mi cells per answer (a 4096 x 4096 image), 1 Gi cells decoded for block means,
    /// 30 s per request, 64 requests at a time.
    fn default() -> Limits {
        Limits {
            cell_budget: 1 << 24,
            read_budget: 1 << 30,
            request_timeout: Duration::from_secs(30),
            max_concurrent: 64,
        }
    }
}

impl Limits {
    /// Checks that `cells` fit the answer budget.
    ///
    /// # Errors
    /// [`crate::Error::TooLarge`].
    pub fn check_cells(&self, what: &'static str, cells: u64) -> crate::Result<()> {
        if cells > self.cell_budget {
            return Err(crate::Error::TooLarge { what, cells, budget: self.cell_budget });
        }
        Ok(())
    }
}
