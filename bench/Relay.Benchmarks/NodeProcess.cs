using System.Diagnostics;
using System.Globalization;

namespace Relay.Benchmarks;

/// <summary>A <c>relay run</c> child process, so each node's memory can be read on its own.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private NodeProcess(Process process) => _process = process;

    public static NodeProcess Start(string configFile)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "relay.dll"));
        start.ArgumentList.Add("run");
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configFile);
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine("  node: " + line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine("  node: " + line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new NodeProcess(process);
    }

    /// <summary>Peak working set in MB: VmHWM where /proc has it, else what the runtime reports.</summary>
    public double PeakWorkingSetMb()
    {
        var status = $"/proc/{_process.Id}/status";
        if (File.Exists(status))
        {
            var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null)
            {
                var kilobytes = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kilobytes / 1024.0;
            }
        }

        _process.Refresh();
        return _process.PeakWorkingSet64 / (1024.0 * 1024);
    }

    /// <summary>Asks the node to stop (SIGTERM) and waits; kills it if it does not stop in time.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            if (!OperatingSystem.IsWindows())
            {
                using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
            }

            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }

        _process.Dispose();
    }
}
