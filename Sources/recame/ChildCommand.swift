import Foundation

/// Another `recame` command run as a child process (the demo's workers and training), its output
/// relayed line by line with a prefix, stopped with SIGTERM like an operator would.
final class ChildCommand: @unchecked Sendable {
    let process = Process()

    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().standardizedFileURL
    }

    static func start(_ arguments: [String], environment: [String: String], logPrefix: String) throws -> ChildCommand {
        let child = ChildCommand()
        child.process.executableURL = executable
        child.process.arguments = arguments
        child.process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        child.process.standardOutput = pipe
        child.process.standardError = pipe
        let buffer = LineBuffer(prefix: logPrefix)
        pipe.fileHandleForReading.readabilityHandler = { handle in buffer.append(handle.availableData) }
        try child.process.run()
        return child
    }

    /// Runs a command to completion with its output passed straight through; returns its status.
    static func run(_ arguments: [String], environment: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32 { process.isRunning ? -1 : process.terminationStatus }

    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// SIGTERM, then waits up to `timeout` seconds before SIGKILL.
    func terminate(timeout: TimeInterval = 30) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Splits a child's output into lines and prints each with a prefix.
private final class LineBuffer: @unchecked Sendable {
    private let prefix: String
    private var pending = Data()
    private let lock = NSLock()

    init(prefix: String) { self.prefix = prefix }

    func append(_ data: Data) {
        lock.withLock {
            pending.append(data)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                print(prefix + line)
            }
        }
    }
}
