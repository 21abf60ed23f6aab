/// Everything that can be wrong with a safetensors file or with tensors about to be written, each case
/// naming the tensor, field or byte range at fault.
public indirect enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case fileTooShort(byteCount: Int)
    case headerLengthBeyondFile(headerLength: UInt64, fileSize: Int)
    case headerLengthTooLarge(headerLength: UInt64, limit: Int)
    case headerNotObject(found: String)
    case malformedHeader(JSONParseError)
    case entryNotObject(name: String, found: String)
    case missingField(name: String, field: String)
    case invalidField(name: String, field: String, reason: String)
    case unknownDType(name: String, dtype: String)
    case unsupportedDType(name: String, dtype: SafetensorsDType)
    case byteSpanMismatch(name: String, shape: [Int], dtype: SafetensorsDType, expectedBytes: Int, spanBytes: Int)
    case spanOutOfBounds(name: String, begin: Int64, end: Int64, dataSize: Int)
    case overlappingSpans(name: String, other: String)
    case uncoveredBytes(begin: Int, end: Int)
    case duplicateName(String)
    case invalidMetadata(reason: String)
    case invalidName(String)
    case valueCountMismatch(name: String, shape: [Int], valueCount: Int)
    case invalidShape(name: String, shape: [Int])
    case io(path: String, reason: String)
    case inFile(path: String, SafetensorsError)

    public var description: String {
        switch self {
        case .fileTooShort(let byteCount):
            return "file is \(byteCount) bytes, shorter than the 8-byte header length"
        case .headerLengthBeyondFile(let headerLength, let fileSize):
            return "header length \(headerLength) reaches beyond the end of the \(fileSize)-byte file"
        case .headerLengthTooLarge(let headerLength, let limit):
            return "header length \(headerLength) exceeds the limit of \(limit) bytes"
        case .headerNotObject(let found):
            return "header is \(found), not a JSON object"
        case .malformedHeader(let error):
            return "header is not valid JSON: \(error)"
        case .entryNotObject(let name, let found):
            return "header entry '\(name)' is \(found), not an object"
        case .missingField(let name, let field):
            return "tensor '\(name)' has no \"\(field)\""
        case .invalidField(let name, let field, let reason):
            return "tensor '\(name)': \"\(field)\" \(reason)"
        case .unknownDType(let name, let dtype):
            return "tensor '\(name)' has unknown dtype \"\(dtype)\""
        case .unsupportedDType(let name, let dtype):
            return "tensor '\(name)' has dtype \(dtype.rawValue); only \(SafetensorsDType.readableNames) are read"
        case .byteSpanMismatch(let name, let shape, let dtype, let expectedBytes, let spanBytes):
            return "tensor '\(name)': shape \(shape) of \(dtype.rawValue) needs \(expectedBytes) bytes "
                + "but its data_offsets span \(spanBytes) bytes"
        case .spanOutOfBounds(let name, let begin, let end, let dataSize):
            return "tensor '\(name)': data_offsets [\(begin), \(end)] lie outside the \(dataSize)-byte data section"
        case .overlappingSpans(let name, let other):
            return "tensor '\(name)' overlaps tensor '\(other)' in the data section"
        case .uncoveredBytes(let begin, let end):
            return "bytes [\(begin), \(end)) of the data section belong to no tensor"
        case .duplicateName(let name):
            return "tensor name '\(name)' appears more than once"
        case .invalidMetadata(let reason):
            return "__metadata__ \(reason)"
        case .invalidName(let name):
            return "'\(name)' cannot be used as a tensor name"
        case .valueCountMismatch(let name, let shape, let valueCount):
            return "tensor '\(name)': shape \(shape) needs \(shape.reduce(1, *)) values but \(valueCount) were given"
        case .invalidShape(let name, let shape):
            return "tensor '\(name)': shape \(shape) has a negative or overflowing dimension"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .inFile(let path, let error):
            return "\(path): \(error)"
        }
    }

    /// The problem without the file it was found in.
    public var withoutPath: SafetensorsError {
        if case .inFile(_, let error) = self { return error.withoutPath }
        return self
    }
}
