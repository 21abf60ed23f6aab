import CLibPQ
import Foundation

/// A NOTIFY received on a channel this connection LISTENs to.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    /// The server process that sent it (compare with `backendProcessID` to skip your own).
    public let senderProcessID: Int32
}

extension PostgresConnection {
    /// Subscribes this session to `channel` (taken literally, case-sensitive, as `pg_notify` uses it).
    /// Kept across `reset()`.
    public func listen(_ channel: String) throws {
        try lock.withLock {
            try execute("LISTEN " + (try PostgresIdentifier.quote(channel)))
            if !listenedChannels.contains(channel) { listenedChannels.append(channel) }
        }
    }

    public func unlisten(_ channel: String) throws {
        try lock.withLock {
            try execute("UNLISTEN " + (try PostgresIdentifier.quote(channel)))
            listenedChannels.removeAll { $0 == channel }
        }
    }

    /// Sends a notification (delivered when the current transaction commits, or at once outside one).
    /// The payload must be under 8000 bytes.
    public func notify(_ channel: String, payload: String = "") throws {
        try execute("SELECT pg_notify($1, $2)", channel, payload)
    }

    /// Returns the next notification, waiting up to `timeout` seconds for one; nil when none came. A
    /// broken connection throws (`isConnectionFailure`), so a listener can `reset()` and carry on.
    /// Other threads may use the connection while this one waits on the socket.
    public func waitForNotification(timeout: TimeInterval) throws -> PostgresNotification? {
        let deadline = Date().addingTimeInterval(max(0, timeout))
        while true {
            let (received, socket): (PostgresNotification?, Int32) = try lock.withLock {
                let connection = try liveConnection()
                if let queued = Self.nextNotification(connection) { return (queued, -1) }
                // Read whatever has arrived on the socket, then look again.
                guard PQconsumeInput(connection) == 1 else {
                    throw failure(nil, sql: nil, connection: connection)
                }
                return (Self.nextNotification(connection), PQsocket(connection))
            }
            if let received { return received }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            guard socket >= 0 else {
                throw PostgresError(kind: .connection, message: "the connection to \(target) has no socket")
            }
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up))
            if poll(&descriptor, 1, milliseconds) < 0 && errno != EINTR {
                throw PostgresError(
                    kind: .connection, message: "waiting for notifications failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func nextNotification(_ connection: OpaquePointer) -> PostgresNotification? {
        guard let notify = PQnotifies(connection) else { return nil }
        defer { PQfreemem(notify) }
        return PostgresNotification(
            channel: String(cString: notify.pointee.relname), payload: String(cString: notify.pointee.extra),
            senderProcessID: notify.pointee.be_pid)
    }
}
