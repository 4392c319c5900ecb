// swift-tools-version: 6.2
import PackageDescription

/// One set of settings for every target: Swift 6 mode plus the upcoming features we rely on.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The pure cores (gossip, coordinator) and their simulations run optimized even in debug builds: the test suite
/// simulates hours of cluster time, which takes seconds optimized and minutes unoptimized.
let optimizedInDebug: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

// Linux only: Store, Gossip, RunWrapper and the executables call Glibc directly, so no
// `platforms:` entry claims an Apple platform that does not build.
let package = Package(
    name: "vigil",
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .executable(name: "vigil-run", targets: ["vigil-run"]),
        .executable(name: "vigil-bench", targets: ["vigil-bench"]),
        .executable(name: "vigil-gossip-bench", targets: ["vigil-gossip-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Without its Foundation trait: vigil-run must not load Foundation (start-up, memory).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        // The postgres notification channel (issue 27).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .target(
            name: "VigilCodec",
            dependencies: ["CLZ4"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gossip",
            dependencies: [
                "VigilCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: optimizedInDebug
        ),
        .target(
            name: "Store",
            dependencies: [
                "VigilCodec",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VigilJSON",
            dependencies: ["VigilCodec"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CoordinatorCore",
            dependencies: ["VigilCodec", "VigilJSON", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: optimizedInDebug
        ),
        .target(
            name: "Coordinator",
            dependencies: [
                "VigilCodec",
                "VigilJSON",
                "CoordinatorCore",
                "Gossip",
                "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Outbound",
            dependencies: [
                "Coordinator",
                "CoordinatorCore",
                "VigilJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The system's OpenSSL, for vigil-run's https:// nodes (no Foundation, no SwiftNIO there).
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "RunWrapper",
            dependencies: ["VigilJSON", "COpenSSL", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil-run",
            dependencies: ["RunWrapper", "VigilJSON"],
            swiftSettings: swiftSettings,
            // Link only the libraries it uses (an autolinked, unused Foundation costs start-up).
            linkerSettings: [.unsafeFlags(["-Xlinker", "--as-needed"], .when(platforms: [.linux]))]
        ),
        .target(
            name: "Ingest",
            dependencies: [
                "Coordinator",
                "CoordinatorCore",
                "VigilJSON",
                "Gossip",
                "Store",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Dashboard/Assets"), .copy("OpenAPI")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "Ingest",
                "Outbound",
                "CoordinatorCore",
                "VigilJSON",
                "Gossip",
                "Coordinator",
                "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil-bench",
            dependencies: [
                "VigilTestSupport",
                .product(name: "Logging", package: "swift-log"),
                "Outbound",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                "Coordinator",
                "CoordinatorCore",
                "VigilJSON",
                "CoordinatorSimulation",
                "Gossip",
                "Ingest",
                "Store",
                "VigilCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil-gossip-bench",
            dependencies: [
                "Gossip",
                "VigilCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "VigilTestSupport", path: "Tests/VigilTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "vigilTests",
            dependencies: ["vigil", "VigilTestSupport", "Coordinator", "CoordinatorCore", "VigilJSON", "Store", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "VigilCodecTests", dependencies: ["VigilCodec"], swiftSettings: swiftSettings),
        .testTarget(name: "VigilJSONTests", dependencies: ["VigilJSON", "VigilCodec"], swiftSettings: swiftSettings),
        .testTarget(name: "CoordinatorCoreTests", dependencies: ["CoordinatorCore", "VigilJSON", "VigilCodec"], swiftSettings: swiftSettings),
        .testTarget(
            name: "GossipTests",
            dependencies: [
                "Gossip",
                "VigilCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: optimizedInDebug
        ),
        .testTarget(name: "OutboundTests", dependencies: ["Outbound", "Coordinator", "RunWrapper", "VigilJSON"], swiftSettings: swiftSettings),
        .testTarget(name: "StoreTests", dependencies: ["Store", "VigilCodec"], swiftSettings: swiftSettings),
        .target(name: "CoordinatorSimulation", dependencies: ["Coordinator", "CoordinatorCore", "Gossip", "VigilCodec"], swiftSettings: optimizedInDebug),
        .testTarget(
            name: "CoordinatorTests",
            dependencies: [
                "Coordinator", "CoordinatorCore", "CoordinatorSimulation", "Gossip", "Store", "VigilCodec", "VigilJSON", "VigilTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest",
                "VigilTestSupport",
                "Coordinator",
                "CoordinatorCore",
                "VigilJSON",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
