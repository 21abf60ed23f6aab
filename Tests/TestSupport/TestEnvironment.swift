import Foundation

/// Where the tests find the real services and binaries they run against.
public enum TestEnvironment {
    /// The package root, found from this file's location so tests work from any working directory.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `recame` executable built next to the running test bundle (`swift build --build-tests`
    /// builds both into the same folder).
    public static var recameBinary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("recame")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/recame")
    }

    /// `DATABASE_URL`, else the local cluster of `pipeline/postgres` (started if it is not running).
    public static let databaseURL: String = {
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        let result = try? ChildProcess.run(
            "/bin/bash", [packageRoot.appendingPathComponent("pipeline/postgres").path, "start"])
        guard let result, result.status == 0,
            let url = result.standardOutput.split(separator: "\n").last.map(String.init)
        else {
            fatalError("no DATABASE_URL and pipeline/postgres start failed: \(result?.standardError ?? "")")
        }
        return url
    }()

    /// A name unique to this process and call, for databases, topics and groups that tests create.
    public static func uniqueName(_ prefix: String) -> String {
        counter.increment()
        return "\(prefix)_\(getpid())_\(counter.value)_\(UInt32.random(in: 0...UInt32.max))"
    }

    private static let counter = Counter()
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    var value: Int { lock.withLock { current } }
    func increment() { lock.withLock { current += 1 } }
}
