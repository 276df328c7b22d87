//! The prover's tree store: the L2 state after the last batch the prover has finished with,
//! kept as a [`TreeState`] snapshot in one file so that a restarted prover does not replay the
//! chain from genesis. Written to a temporary file, synced and renamed, so a crash leaves
//! either the old state or the new one.

use codec::{Decode, Encode};
use concord_primitives::stf::{SnapshotError, TreeState};
use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
};

/// Why the store cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	#[error("{path}: {error}")]
	Io {
		path: PathBuf,
		error: std::io::Error,
	},
	#[error("{path} is not a tree store file")]
	Malformed { path: PathBuf },
	#[error("{path}: {error}")]
	Snapshot { path: PathBuf, error: SnapshotError },
}

/// What the file holds: the batch the state is after, and the state.
#[derive(Encode, Decode)]
struct Stored {
	batch: u64,
	snapshot: Vec<u8>,
}

pub struct TreeStore {
	path: PathBuf,
}

impl TreeStore {
	/// The store in `dir`, created if missing.
	pub fn open(dir: &Path) -> Result<TreeStore, StoreError> {
		fs::create_dir_all(dir).map_err(|error| StoreError::Io {
			path: dir.to_owned(),
			error,
		})?;
		Ok(TreeStore {
			path: dir.join("state.scale"),
		})
	}

	/// The stored state and the batch it is after; `None` for a new store.
	pub fn load(&self) -> Result<Option<(u64, TreeState)>, StoreError> {
		let bytes = match fs::read(&self.path) {
			Ok(bytes) => bytes,
			Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
			Err(error) => {
				return Err(StoreError::Io {
					path: self.path.clone(),
					error,
				})
			}
		};
		let stored = Stored::decode(&mut &bytes[..]).map_err(|_| StoreError::Malformed {
			path: self.path.clone(),
		})?;
		let state =
			TreeState::from_snapshot(&stored.snapshot).map_err(|error| StoreError::Snapshot {
				path: self.path.clone(),
				error,
			})?;
		Ok(Some((stored.batch, state)))
	}

	/// Replaces the stored state with `state`, the state after `batch`.
	pub fn save(&self, batch: u64, state: &TreeState) -> Result<(), StoreError> {
		let temporary = self.path.with_extension("tmp");
		let io = |path: &Path| {
			let path = path.to_owned();
			move |error| StoreError::Io { path, error }
		};
		let bytes = Stored {
			batch,
			snapshot: state.snapshot(),
		}
		.encode();
		let mut file = fs::File::create(&temporary).map_err(io(&temporary))?;
		file.write_all(&bytes).map_err(io(&temporary))?;
		file.sync_all().map_err(io(&temporary))?;
		fs::rename(&temporary, &self.path).map_err(io(&self.path))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use concord_primitives::stf::{self, BatchContext};

	fn directory(name: &str) -> PathBuf {
		let dir = std::env::temp_dir().join(format!("concord-store-{name}-{}", std::process::id()));
		let _ = fs::remove_dir_all(&dir);
		dir
	}

	#[test]
	fn a_saved_state_loads_back_with_its_root() {
		let dir = directory("roundtrip");
		let store = TreeStore::open(&dir).unwrap();
		assert!(store.load().unwrap().is_none());
		let mut state = crate::test_state::registered();
		let deposit = crate::test_state::deposit([7; 20], 5);
		stf::apply(&mut state, &deposit, &mut BatchContext::new(0, 0)).unwrap();
		store.save(3, &state).unwrap();
		let (batch, loaded) = store.load().unwrap().unwrap();
		assert_eq!(batch, 3);
		assert_eq!(loaded.tree().root(), state.tree().root());
		assert_eq!(loaded.registry(), state.registry());
		fs::remove_dir_all(dir).unwrap();
	}

	#[test]
	fn a_damaged_file_is_refused() {
		let dir = directory("damaged");
		let store = TreeStore::open(&dir).unwrap();
		store.save(1, &TreeState::new()).unwrap();
		let path = dir.join("state.scale");
		let mut bytes = fs::read(&path).unwrap();
		let last = bytes.len() - 1;
		bytes[last] ^= 1;
		fs::write(&path, &bytes).unwrap();
		let error = store.load().err().expect("a damaged snapshot is refused");
		assert!(
			matches!(
				error,
				StoreError::Snapshot { .. } | StoreError::Malformed { .. }
			),
			"{error}"
		);
		fs::write(&path, b"junk").unwrap();
		assert!(matches!(store.load(), Err(StoreError::Malformed { .. })));
		fs::remove_dir_all(dir).unwrap();
	}
}
