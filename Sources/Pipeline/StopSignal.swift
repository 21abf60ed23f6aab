import Foundation

/// Turns SIGTERM and SIGINT into a flag that long-running loops check between units of work, so that
/// a worker finishes and commits the batch in hand instead of dying in the middle of it.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    public var isSet: Bool { lock.withLock { stopped } }

    public func set() { lock.withLock { stopped = true } }

    /// Installs handlers for `signals` (default SIGTERM and SIGINT); the second signal still stops the
    /// process at once, for an operator who really means it.
    public func install(_ signals: [Int32] = [SIGTERM, SIGINT], onSignal: (@Sendable (Int32) -> Void)? = nil) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                if self.isSet {
                    signal(number, SIG_DFL)
                    raise(number)
                }
                self.set()
                onSignal?(number)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Sleeps up to `seconds`, waking early when the flag is set; returns whether it was set.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if isSet { return true }
            Thread.sleep(forTimeInterval: min(0.05, max(0, deadline.timeIntervalSinceNow)))
        }
        return isSet
    }
}
