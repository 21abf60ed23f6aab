// swift-tools-version:6.0
import PackageDescription

// One library target per concern; the C libraries stay behind thin system-library targets so that
// their pointers never leak past the Swift module that owns them.
let package = Package(
    name: "recame",
    products: [
        .executable(name: "recame", targets: ["recame"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "ReCAME", targets: ["ReCAME"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    targets: [
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CImageCodec", dependencies: ["CJPEG", "CPNG"]),

        .target(name: "Tensor", dependencies: ["COpenBLAS"]),
        .target(name: "ReCAME", dependencies: ["Tensor", "Datasets", "Imaging"]),
        .target(name: "Imaging", dependencies: ["CImageCodec", "Tensor"]),
        .target(name: "Datasets", dependencies: ["Imaging", "Tensor", "CZlib"]),
        .target(name: "Kafka", dependencies: ["CRdKafka"]),
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(
            name: "Pipeline",
            dependencies: ["Kafka", "Postgres", "Imaging", "Datasets", "Tensor", "ReCAME"]),
        .executableTarget(
            name: "recame",
            dependencies: ["Pipeline", "Kafka", "Postgres", "Imaging", "Datasets", "Tensor", "ReCAME"]),
        .executableTarget(name: "recame-bench-model", dependencies: ["ReCAME", "Tensor"], path: "bench/ModelBenchmark"),
        .executableTarget(
            name: "recame-bench-pipeline", dependencies: ["Pipeline", "Kafka", "Postgres", "Imaging"],
            path: "bench/PipelineBenchmark"),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Tensor", "TestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"]),
        .testTarget(name: "ReCAMETests", dependencies: ["ReCAME", "Tensor", "Datasets", "Imaging", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Kafka", "Postgres", "Imaging", "ReCAME", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
