//! Which code runs which kind of job. The queue knows no domain: each domain names its job
//! kinds (a payload type with a [`Job::KIND`]) and registers a handler for each, and any
//! work it wants done on every tick of the worker, when the application is put together.

use serde::{de::DeserializeOwned, Serialize};
use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc};

/// A kind of background work: its payload, and the name stored in the `kind` column.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    const KIND: &'static str;
}

/// A job as the queue stores it: its kind and its payload. In the `payload` column the two
/// sit together as `{"kind": …, "payload": …}`, the form rows have always had.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub kind: String,
    pub payload: serde_json::Value,
}

impl Queued {
    pub fn new<J: Job>(job: &J) -> serde_json::Result<Self> {
        Ok(Self { kind: J::KIND.to_owned(), payload: serde_json::to_value(job)? })
    }

    /// The `payload` column's value.
    pub fn stored(&self) -> serde_json::Value {
        serde_json::json!({ "kind": self.kind, "payload": self.payload })
    }

    /// Reads a `payload` column's value back.
    pub fn from_stored(mut stored: serde_json::Value) -> anyhow::Result<Self> {
        let kind = stored.get("kind").and_then(|k| k.as_str()).map(str::to_owned);
        let payload = stored.get_mut("payload").map(serde_json::Value::take);
        match (kind, payload) {
            (Some(kind), Some(payload)) => Ok(Self { kind, payload }),
            _ => Err(anyhow::anyhow!("unreadable job: no kind or payload")),
        }
    }

    /// The payload as job `J`; an error when it is another kind or does not parse.
    pub fn read<J: Job>(&self) -> anyhow::Result<J> {
        if self.kind != J::KIND {
            anyhow::bail!("a {} job read as {}", self.kind, J::KIND);
        }
        serde_json::from_value(self.payload.clone()).map_err(|e| anyhow::anyhow!("unreadable job: {e}"))
    }
}

pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type Handler<S> = Arc<dyn Fn(S, Queued) -> JobFuture + Send + Sync>;
type Tick<S> = Arc<dyn Fn(S) -> JobFuture + Send + Sync>;

/// The handlers by job kind, and the work run on every tick. `S` is the application state
/// handlers receive (generic so this file needs nothing from the rest of the crate).
pub struct JobRegistry<S> {
    handlers: HashMap<&'static str, Handler<S>>,
    ticks: Vec<(&'static str, Tick<S>)>,
}

impl<S> Default for JobRegistry<S> {
    fn default() -> Self {
        Self { handlers: HashMap::new(), ticks: Vec::new() }
    }
}

impl<S: Send + 'static> JobRegistry<S> {
    /// Runs `handler` for every job of kind `J::KIND`. Two handlers for one kind is a
    /// programming error, caught at start-up.
    pub fn handle<J, F, Fut>(&mut self, handler: F) -> &mut Self
    where
        J: Job,
        F: Fn(S, J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let run: Handler<S> = Arc::new(move |state, queued: Queued| {
            let handler = handler.clone();
            Box::pin(async move { handler(state, queued.read::<J>()?).await })
        });
        assert!(self.handlers.insert(J::KIND, run).is_none(), "two handlers for job kind {}", J::KIND);
        self
    }

    /// Runs `task` on every tick of the worker, before the due jobs; `what` names it in logs.
    pub fn every_tick<F, Fut>(&mut self, what: &'static str, task: F) -> &mut Self
    where
        F: Fn(S) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.ticks.push((what, Arc::new(move |state| Box::pin(task(state)))));
        self
    }

    /// The work of one job; a kind nobody handles is a failed attempt like any other.
    pub fn run(&self, state: S, job: Queued) -> JobFuture {
        match self.handlers.get(job.kind.as_str()) {
            Some(handler) => handler(state, job),
            None => Box::pin(async move { Err(anyhow::anyhow!("no handler for job kind {}", job.kind)) }),
        }
    }

    /// The tick work, one future at a time (each is made when the iterator reaches it).
    pub fn ticks<'a>(&'a self, state: &'a S) -> impl Iterator<Item = (&'static str, JobFuture)> + 'a
    where
        S: Clone,
    {
        self.ticks.iter().map(move |(what, task)| (*what, task(state.clone())))
    }
}

#[cfg(test)]
mod tests {
    use crate::server::jobs::registry::{Job, Queued};

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Ping {
        n: u32,
    }

    impl Job for Ping {
        const KIND: &'static str = "ping";
    }

    #[test]
    fn the_stored_form_is_kind_and_payload_together() {
        let queued = Queued::new(&Ping { n: 7 }).unwrap();
        let stored = queued.stored();
        assert_eq!(stored, serde_json::json!({ "kind": "ping", "payload": { "n": 7 } }));
        let back = Queued::from_stored(stored).unwrap();
        assert_eq!(back, queued);
        assert_eq!(back.read::<Ping>().unwrap(), Ping { n: 7 });
        assert!(Queued::from_stored(serde_json::json!({ "n": 7 })).is_err());
    }
}
