import Foundation

/// A program run by a test as a separate process (the `recame` CLI, `kcat`, `psql`), with its output
/// captured, so that tests exercise the same binaries and protocols that operators use.
public final class ChildProcess: @unchecked Sendable {
    public struct Result {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
    }

    public let process = Process()
    private let outputPipe = Pipe()
    private let errorPipe = Pipe()
    private let lock = NSLock()
    private var outputBuffer = Data()
    private var errorBuffer = Data()

    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: URL? = nil
    ) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        outputPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.outputBuffer.append(data) }
        }
        errorPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.errorBuffer.append(data) }
        }
    }

    public func start() throws { try process.run() }

    public var standardOutput: String { lock.withLock { String(decoding: outputBuffer, as: UTF8.self) } }
    public var standardError: String { lock.withLock { String(decoding: errorBuffer, as: UTF8.self) } }

    /// Waits until the process has printed a line on stdout that satisfies `predicate`, or throws.
    @discardableResult
    public func waitForLine(timeout: TimeInterval = 30, where predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = standardOutput.split(separator: "\n").map(String.init).first(where: predicate) {
                return line
            }
            if !process.isRunning {
                throw ChildProcessError.exited(status: process.terminationStatus, standardError: standardError)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw ChildProcessError.timedOut(standardOutput: standardOutput, standardError: standardError)
    }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit (killing the process after `timeout`) and returns its status.
    @discardableResult
    public func wait(timeout: TimeInterval = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        // Drain what the handlers have not delivered yet.
        outputPipe.fileHandleForReading.readabilityHandler = nil
        errorPipe.fileHandleForReading.readabilityHandler = nil
        let restOut = outputPipe.fileHandleForReading.readDataToEndOfFile()
        let restErr = errorPipe.fileHandleForReading.readDataToEndOfFile()
        lock.withLock {
            outputBuffer.append(restOut)
            errorBuffer.append(restErr)
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs a program to completion.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        timeout: TimeInterval = 120
    ) throws -> Result {
        let child = ChildProcess(executable, arguments, environment: environment)
        try child.start()
        let status = child.wait(timeout: timeout)
        return Result(status: status, standardOutput: child.standardOutput, standardError: child.standardError)
    }
}

public enum ChildProcessError: Error, CustomStringConvertible {
    case exited(status: Int32, standardError: String)
    case timedOut(standardOutput: String, standardError: String)

    public var description: String {
        switch self {
        case .exited(let status, let standardError):
            return "process exited with status \(status) before the expected output; stderr:\n\(standardError)"
        case .timedOut(let standardOutput, let standardError):
            return "timed out waiting for output; stdout:\n\(standardOutput)\nstderr:\n\(standardError)"
        }
    }
}
