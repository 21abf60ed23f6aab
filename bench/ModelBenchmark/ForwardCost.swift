import ReCAME

/// Floating-point operations of one image's forward pass, counting multiply and add separately:
/// every convolution, the attention MLPs and the cosine classifier (pooling, BatchNorm and
/// element-wise work are left out, as is usual for GFLOP/s figures). Training is quoted as 3× this:
/// backward needs a product for the input gradient and one for the weight gradient.
enum ForwardCost {
    static func flopsPerImage(_ architecture: NetworkArchitecture) -> Double {
        var height = architecture.inputHeight
        var width = architecture.inputWidth
        var channels = architecture.widths[0]
        var total = convolution(
            inputs: architecture.inputChannels, outputs: channels, kernel: 9, height: height, width: width)
        for (stage, stageWidth) in architecture.widths.enumerated() {
            for block in 0..<architecture.blocksPerStage {
                let stride = stage > 0 && block == 0 ? 2 : 1
                let outHeight = (height - 1) / stride + 1
                let outWidth = (width - 1) / stride + 1
                total += convolution(
                    inputs: channels, outputs: stageWidth, kernel: 9, height: outHeight, width: outWidth)
                total += convolution(
                    inputs: stageWidth, outputs: stageWidth, kernel: 9, height: outHeight, width: outWidth)
                if stride != 1 || channels != stageWidth {
                    total += convolution(
                        inputs: channels, outputs: stageWidth, kernel: 1, height: outHeight, width: outWidth)
                }
                // Four quadrants, each pooled two ways, through C → h → C.
                let hidden = Double(architecture.attentionHidden(channels: stageWidth))
                total += 4 * 2 * 2 * (2 * Double(stageWidth) * hidden)
                (height, width, channels) = (outHeight, outWidth, stageWidth)
            }
        }
        total += 2 * Double(architecture.featureWidth * architecture.classes)
        return total * Double(architecture.experts)
    }

    private static func convolution(inputs: Int, outputs: Int, kernel: Int, height: Int, width: Int) -> Double {
        2 * Double(inputs) * Double(outputs) * Double(kernel) * Double(height) * Double(width)
    }
}
