using Relay.Benchmarks;

// Usage: dotnet run -c Release --project bench/Relay.Benchmarks -- layer1 [--quick]
//        dotnet run -c Release --project bench/Relay.Benchmarks -- http [--quick]
//        dotnet run -c Release --project bench/Relay.Benchmarks -- links [--quick] [--only sweep|capped|lossy|oneway]
//        dotnet run -c Release --project bench/Relay.Benchmarks -- envelope [--quick]
//        dotnet run -c Release --project bench/Relay.Benchmarks -- compression [--quick]
//        dotnet run -c Release --project bench/Relay.Benchmarks -- vectors docs/vectors
//        dotnet run -c Release --project bench/Relay.Benchmarks -- frame-vectors docs/vectors/frames
var mode = args.Length > 0 ? args[0] : "";
var quick = args.Contains("--quick");
switch (mode)
{
    case "layer1":
        return await Layer1Benchmark.RunAsync(quick, Console.Out);
    case "http":
        return await HttpBenchmark.RunAsync(quick, Console.Out);
    case "links":
        return await LinksBenchmark.RunAsync(quick, args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault(), Console.Out);
    case "envelope":
        return EnvelopeBenchmark.Run(quick, Console.Out);
    case "compression":
        return CompressionBenchmark.Run(quick, Console.Out);
    case "frame-vectors" when args.Length == 2:
        return FrameVectorWriter.Run(args[1], Console.Out);
    case "vectors" when args.Length == 2:
        return VectorWriter.Run(args[1], Console.Out);
    default:
        Console.Error.WriteLine("usage: Relay.Benchmarks layer1 [--quick] | http [--quick] | links [--quick] [--only SCENARIO] | envelope [--quick] | compression [--quick] | vectors DIR | frame-vectors DIR");
        return 2;
}
