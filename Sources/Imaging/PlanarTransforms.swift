import Foundation

/// Geometric transforms of planar (CHW) float images in place, the building blocks of augmentation.
public enum PlanarTransforms {
    public static func flipHorizontally(_ buffer: UnsafeMutableBufferPointer<Float>, shape: PlanarShape) throws {
        try shape.check(buffer)
        let width = shape.width
        for row in 0..<(shape.channels * shape.height) {
            let base = row * width
            var left = 0
            var right = width - 1
            while left < right {
                buffer.swapAt(base + left, base + right)
                left += 1
                right -= 1
            }
        }
    }

    public static func flipVertically(_ buffer: UnsafeMutableBufferPointer<Float>, shape: PlanarShape) throws {
        try shape.check(buffer)
        let width = shape.width
        for channel in 0..<shape.channels {
            let plane = channel * shape.planeCount
            var top = 0
            var bottom = shape.height - 1
            while top < bottom {
                for x in 0..<width { buffer.swapAt(plane + top * width + x, plane + bottom * width + x) }
                top += 1
                bottom -= 1
            }
        }
    }

    /// Moves the content `dx` columns right and `dy` rows down (negative: left, up); uncovered pixels
    /// become `fill`. This is a crop of the image padded by `|dx|`, `|dy|` on each side.
    public static func shift(
        _ buffer: UnsafeMutableBufferPointer<Float>, shape: PlanarShape, dx: Int, dy: Int, fill: Float
    ) throws {
        try shape.check(buffer)
        let (width, height) = (shape.width, shape.height)
        // Walk away from the direction of travel so every source is read before it is overwritten.
        for channel in 0..<shape.channels {
            let plane = channel * shape.planeCount
            for row in 0..<height {
                let y = dy > 0 ? height - 1 - row : row
                let sourceY = y - dy
                for column in 0..<width {
                    let x = dx > 0 ? width - 1 - column : column
                    let sourceX = x - dx
                    let inside = sourceY >= 0 && sourceY < height && sourceX >= 0 && sourceX < width
                    buffer[plane + y * width + x] = inside ? buffer[plane + sourceY * width + sourceX] : fill
                }
            }
        }
    }

    /// Rotates each plane by `degrees` counter-clockwise about its centre, sampling bilinearly; pixels
    /// whose source falls outside the image become `fill`. `scratch` must hold one plane.
    public static func rotate(
        _ buffer: UnsafeMutableBufferPointer<Float>, shape: PlanarShape, degrees: Float, fill: Float,
        scratch: UnsafeMutableBufferPointer<Float>
    ) throws {
        try shape.check(buffer)
        guard scratch.count >= shape.planeCount else {
            throw ImageError.invalidArgument(
                "rotation scratch holds \(scratch.count) floats, \(shape.planeCount) needed")
        }
        guard degrees.isFinite else { throw ImageError.invalidArgument("rotation angle \(degrees) is not finite") }
        if degrees == 0 { return }
        let (width, height) = (shape.width, shape.height)
        let radians = Double(degrees) * .pi / 180
        let (cosine, sine) = (Float(cos(radians)), Float(sin(radians)))
        let centreX = Float(width - 1) / 2
        let centreY = Float(height - 1) / 2
        for channel in 0..<shape.channels {
            let plane = channel * shape.planeCount
            for index in 0..<shape.planeCount { scratch[index] = buffer[plane + index] }
            for y in 0..<height {
                for x in 0..<width {
                    // Inverse mapping: rotate the output position back into the source (y grows down,
                    // so a counter-clockwise turn on screen uses the transposed matrix).
                    let u = Float(x) - centreX
                    let v = Float(y) - centreY
                    let sourceX = cosine * u - sine * v + centreX
                    let sourceY = sine * u + cosine * v + centreY
                    buffer[plane + y * width + x] = bilinear(
                        scratch, width: width, height: height, x: sourceX, y: sourceY, fill: fill)
                }
            }
        }
    }

    private static func bilinear(
        _ plane: UnsafeMutableBufferPointer<Float>, width: Int, height: Int, x: Float, y: Float, fill: Float
    ) -> Float {
        // A small tolerance keeps exact edge positions (e.g. from a 90-degree turn) inside.
        let epsilon: Float = 1e-4
        guard x >= -epsilon, y >= -epsilon, x <= Float(width - 1) + epsilon, y <= Float(height - 1) + epsilon else {
            return fill
        }
        let clampedX = min(max(x, 0), Float(width - 1))
        let clampedY = min(max(y, 0), Float(height - 1))
        let x0 = Int(clampedX)
        let y0 = Int(clampedY)
        let x1 = min(x0 + 1, width - 1)
        let y1 = min(y0 + 1, height - 1)
        let fx = clampedX - Float(x0)
        let fy = clampedY - Float(y0)
        let top = plane[y0 * width + x0] * (1 - fx) + plane[y0 * width + x1] * fx
        let bottom = plane[y1 * width + x0] * (1 - fx) + plane[y1 * width + x1] * fx
        return top * (1 - fy) + bottom * fy
    }
}
