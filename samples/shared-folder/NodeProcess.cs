using System.Diagnostics;
using System.Globalization;

namespace Relay.Samples.SharedFolder;

/// <summary>A <c>relay</c> process started by the sample; its output goes to a log file.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private bool _stopped;

    private NodeProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    /// <summary>relay.dll, copied next to the sample when it was built.</summary>
    public static string RelayDll => Path.Combine(AppContext.BaseDirectory, "relay.dll");

    public static NodeProcess Start(string logFile, params string[] args)
    {
        var log = new StreamWriter(logFile) { AutoFlush = true };
        var process = Process.Start(StartInfo(args)) ?? throw new InvalidOperationException("dotnet did not start");
        var gate = new object();
        void Write(string? line)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    log.WriteLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new NodeProcess(process, log);
    }

    /// <summary>Runs a relay verb to its end and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args)) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output + await error).TrimEnd());
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Stops the node as an operator would (SIGTERM, or a kill where there is no such signal), within a bounded wait.</summary>
    public void Stop()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (!_process.HasExited && !OperatingSystem.IsWindows())
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            term.WaitForExit();
        }

        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        _log.Dispose();
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RelayDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
