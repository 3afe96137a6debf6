using Relay.Benchmarks;

// Usage: dotnet run -c Release --project bench/Relay.Benchmarks -- layer1 [--quick]
var mode = args.Length > 0 ? args[0] : "";
var quick = args.Contains("--quick");
switch (mode)
{
    case "layer1":
        return await Layer1Benchmark.RunAsync(quick, Console.Out);
    default:
        Console.Error.WriteLine("usage: Relay.Benchmarks layer1 [--quick]");
        return 2;
}
