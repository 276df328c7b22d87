//! Loopback ports for the processes that Concord's tests and devnet start (nodes, anvils,
//! relayers), handed out so that no two sockets can race for one.
//!
//! Asking the OS for a free port (`bind(127.0.0.1:0)`, then closing it) and passing the
//! number to a child process is a race: until the child binds it, the OS may give the same
//! port to any other socket, most often the local end of an outgoing connection, which the
//! OS takes from its ephemeral range. [`reserve`] avoids both ways a reserved port can be
//! taken:
//! - it picks ports *outside* the kernel's ephemeral range
//!   (`/proc/sys/net/ipv4/ip_local_port_range`), where the OS never places a socket on its
//!   own, so only a process that names the port explicitly can bind it;
//! - it holds an exclusive lock on a file per port (`$TMPDIR/concord-ports/<port>.lock`) until
//!   this process exits, so no other process using this allocator gets the same port. The
//!   kernel drops the lock when the process dies, so a crash leaves no stale reservation.
//!
//! A port that something else already listens on is skipped.

use std::{
	fs::{File, OpenOptions, TryLockError},
	io,
	net::TcpListener,
	path::PathBuf,
	sync::Mutex,
};

/// Where the candidate ports start: below it are the well-known development ports
/// (8545, 9944, 9615, …) that a developer's own devnet may be using.
const LOWEST: u16 = 20_000;
/// Fewer candidates than this means the machine's ephemeral range leaves no room.
const MINIMUM_CANDIDATES: u32 = 1_000;

/// The lock files of the ports this process reserved, held open until it exits.
static HELD: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// Why no port could be reserved.
#[derive(Debug)]
pub struct PortError(String);

impl std::fmt::Display for PortError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "reserving a loopback port: {}", self.0)
	}
}

impl std::error::Error for PortError {}

/// A loopback TCP port that no other socket holds, that the OS will not hand out on its own,
/// and that no other caller of this function on the machine gets while this process lives.
/// The caller passes it to the one process that binds it.
pub fn reserve() -> Result<u16, PortError> {
	let (low, high) = candidates()?;
	let count = u32::from(high - low) + 1;
	let directory = std::env::temp_dir().join("concord-ports");
	std::fs::create_dir_all(&directory)
		.map_err(|error| PortError(format!("creating {}: {error}", directory.display())))?;
	let mut held = HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
	// Concurrent processes start their walk at different places, so they rarely meet.
	let start = std::process::id().wrapping_mul(2_654_435_761) % count;
	for step in 0..count {
		let port = low + ((start + step) % count) as u16;
		let Some(lock) = try_lock(directory.join(format!("{port}.lock")))? else {
			continue;
		};
		if in_use(port) {
			continue;
		}
		held.push(lock);
		return Ok(port);
	}
	Err(PortError(format!(
		"every port in {low}..={high} is reserved or in use"
	)))
}

/// Whether a socket already listens on (or holds) `port` on 127.0.0.1.
pub fn in_use(port: u16) -> bool {
	TcpListener::bind(("127.0.0.1", port)).is_err()
}

/// The lock file of one port, locked exclusively, or `None` when another holder has it
/// (another process, or this one: every lock is taken on a file description of its own).
fn try_lock(path: PathBuf) -> Result<Option<File>, PortError> {
	let file = OpenOptions::new()
		.create(true)
		.truncate(false)
		.write(true)
		.open(&path)
		.map_err(|error| PortError(format!("opening {}: {error}", path.display())))?;
	match file.try_lock() {
		Ok(()) => Ok(Some(file)),
		Err(TryLockError::WouldBlock) => Ok(None),
		Err(TryLockError::Error(error)) => {
			Err(PortError(format!("locking {}: {error}", path.display())))
		}
	}
}

/// The candidate ports: from [`LOWEST`] up to the start of the ephemeral range, or above its
/// end when the range starts too low to leave room.
fn candidates() -> Result<(u16, u16), PortError> {
	let (ephemeral_low, ephemeral_high) = ephemeral_range()
		.map_err(|error| PortError(format!("reading the ephemeral port range: {error}")))?;
	if u32::from(ephemeral_low) >= u32::from(LOWEST) + MINIMUM_CANDIDATES {
		return Ok((LOWEST, ephemeral_low - 1));
	}
	if 65_535 - u32::from(ephemeral_high) >= MINIMUM_CANDIDATES {
		return Ok((ephemeral_high + 1, 65_535));
	}
	Err(PortError(format!(
		"the ephemeral range {ephemeral_low}..={ephemeral_high} leaves fewer than \
		 {MINIMUM_CANDIDATES} ports outside it (net.ipv4.ip_local_port_range)"
	)))
}

/// The kernel's ephemeral port range; Linux's default when the file does not exist.
fn ephemeral_range() -> io::Result<(u16, u16)> {
	let text = match std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range") {
		Ok(text) => text,
		Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok((32_768, 60_999)),
		Err(error) => return Err(error),
	};
	let bad = || io::Error::new(io::ErrorKind::InvalidData, format!("unexpected {text:?}"));
	let mut bounds = text.split_whitespace().map(|word| word.parse::<u16>());
	match (bounds.next(), bounds.next()) {
		(Some(Ok(low)), Some(Ok(high))) if low <= high => Ok((low, high)),
		_ => Err(bad()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::collections::HashSet;

	#[test]
	fn reserved_ports_are_distinct_bindable_and_outside_the_ephemeral_range() {
		let (low, high) = ephemeral_range().unwrap();
		let ports: Vec<u16> = (0..50).map(|_| reserve().unwrap()).collect();
		assert_eq!(ports.iter().collect::<HashSet<_>>().len(), ports.len());
		for port in ports {
			assert!(!(low..=high).contains(&port), "{port} is ephemeral");
			TcpListener::bind(("127.0.0.1", port)).expect("a reserved port is free");
		}
	}

	#[test]
	fn a_port_something_listens_on_is_never_handed_out() {
		let taken = reserve().unwrap();
		let _listener = TcpListener::bind(("127.0.0.1", taken)).unwrap();
		assert!(in_use(taken));
		for _ in 0..20 {
			assert_ne!(reserve().unwrap(), taken);
		}
	}

	#[test]
	fn a_port_locked_by_another_holder_is_skipped() {
		let directory = std::env::temp_dir().join("concord-ports");
		std::fs::create_dir_all(&directory).unwrap();
		// Lock the next candidates as another process would, then reserve: none of them comes out.
		let (low, high) = candidates().unwrap();
		let count = u32::from(high - low) + 1;
		let start = std::process::id().wrapping_mul(2_654_435_761) % count;
		let mut foreign = Vec::new();
		for step in 0..200 {
			let port = low + ((start + step) % count) as u16;
			if let Some(lock) = try_lock(directory.join(format!("{port}.lock"))).unwrap() {
				foreign.push((port, lock));
			}
		}
		let port = reserve().unwrap();
		assert!(foreign.iter().all(|(locked, _)| *locked != port));
	}
}
