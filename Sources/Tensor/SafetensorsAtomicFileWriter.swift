import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Replaces a file in one step: write a temporary file in the same directory, flush it to disk, rename
/// it over the target (atomic on POSIX file systems), then flush the directory so the rename survives a
/// crash. A worker loading a checkpoint while a trainer saves one sees either the old file or the new.
enum AtomicFileWriter {
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary =
            directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(path, "cannot create temporary file \(temporary)") }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(descriptor) }
            if !renamed { unlink(temporary) }
        }
        try bytes.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let result = systemWrite(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, "cannot write temporary file")
                }
                written += result
            }
        }
        guard fsync(descriptor) == 0 else { throw failure(path, "cannot flush temporary file") }
        closed = true
        guard close(descriptor) == 0 else { throw failure(path, "cannot close temporary file") }
        guard rename(temporary, path) == 0 else { throw failure(path, "cannot rename temporary file into place") }
        renamed = true

        let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            // Best effort: some file systems refuse fsync on a directory, and the data itself is safe.
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    private static func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
            return Glibc.write(descriptor, buffer, count)
        #else
            return Darwin.write(descriptor, buffer, count)
        #endif
    }

    private static func failure(_ path: String, _ what: String) -> SafetensorsError {
        SafetensorsError.io(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }
}
