import Foundation

/// A PostgreSQL server of its own (initdb in a temporary folder, a free port), for tests that stop and
/// restart the server: doing that to the shared server at `TestEnvironment.databaseURL` would break
/// every other test running against it. `url` connects as the superuser `recame` to the `recame`
/// database, like the shared server. Call `destroy()` when done (the server is also stopped on deinit).
public final class TemporaryPostgresCluster: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    public var url: String { "postgresql://recame@127.0.0.1:\(port)/recame" }

    private let binaries: URL
    private var dataDirectory: URL { directory.appendingPathComponent("data") }
    private var logFile: URL { directory.appendingPathComponent("server.log") }
    /// initdb and the server refuse to run as root; they run as `postgres` then.
    private let runAs: [String]

    public init() throws {
        guard let binaries = Self.findBinaries() else {
            throw TemporaryPostgresClusterError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        }
        self.binaries = binaries
        runAs = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        port = try FreePort.find()
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            TestEnvironment.uniqueName("recame-pg"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try run(["/bin/chown", "postgres:", directory.path], asServer: false) }
        // -N: no fsync of the fresh cluster; the data is thrown away after the test.
        try run(
            [
                binaries.appendingPathComponent("initdb").path, "-D", dataDirectory.path, "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N",
            ], asServer: true)
        let settings = """
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(directory.path)'
            max_connections = 100
            fsync = off

            """
        let configuration = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: configuration)
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        try handle.close()
        try start()
        try run(
            [
                binaries.appendingPathComponent("psql").path, "-qAt", "-h", "127.0.0.1", "-p", "\(port)", "-U",
                "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CREATE ROLE recame LOGIN SUPERUSER",
                "-c", "CREATE DATABASE recame OWNER recame",
            ], asServer: false)
    }

    deinit { try? stop() }

    /// Starts the server and waits until it accepts connections.
    public func start() throws {
        try run(
            [
                binaries.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path, "-l", logFile.path, "-w",
                "-t", "60", "start",
            ], asServer: true)
    }

    /// Stops the server at once (`-m fast`: open sessions are terminated, as in a crash or failover).
    public func stop() throws {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("postmaster.pid").path)
        else { return }
        try run(
            [binaries.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path, "-m", "fast", "-w", "stop"],
            asServer: true)
    }

    /// Stops the server and deletes its files.
    public func destroy() {
        try? stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The server's log, for failure messages.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    private func run(_ command: [String], asServer: Bool) throws {
        // Foundation learns that a child has exited when a socket it hands to the child is closed.
        // `pg_ctl start` leaves the server running with every descriptor it inherited, that socket
        // included, so the test would wait for the server to exit. The shell closes descriptors above
        // 2 first; Foundation then waits for the exit itself.
        let closeInherited =
            "for fd in /proc/$$/fd/*; do n=${fd##*/}; [ \"$n\" -gt 2 ] && eval \"exec $n>&-\"; done; exec \"$@\""
        let full = ["/bin/bash", "-c", closeInherited, "bash"] + (asServer ? runAs : []) + command
        let result = try ChildProcess.run(full[0], Array(full.dropFirst()), timeout: 90)
        guard result.status == 0 else {
            throw TemporaryPostgresClusterError(
                "\(command.first.map { ($0 as NSString).lastPathComponent } ?? "?") exited with \(result.status): "
                    + result.standardError + result.standardOutput)
        }
    }

    private static func findBinaries() -> URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return
            versions
            .compactMap { Int($0) }.sorted(by: >)
            .map { root.appendingPathComponent("\($0)/bin") }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("pg_ctl").path) }
    }
}

public struct TemporaryPostgresClusterError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
