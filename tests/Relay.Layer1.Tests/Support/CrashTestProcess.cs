using System.Diagnostics;

namespace Relay.Layer1.Tests.Support;

/// <summary>A layer-1 node in a child process (tests/Relay.Layer1.CrashTestNode), to be killed with SIGKILL.</summary>
internal sealed class CrashTestProcess : IDisposable
{
    private readonly Process _process;

    private CrashTestProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static CrashTestProcess Start(params string[] args)
    {
        // Same build configuration as this test assembly: .../bin/{configuration}/net10.0/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var repository = output.Parent.Parent!.Parent!.Parent!.FullName;
        var program = Path.Combine(repository, "Relay.Layer1.CrashTestNode", "bin", configuration, output.Name, "Relay.Layer1.CrashTestNode.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(program);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new CrashTestProcess(process);
    }

    /// <summary>SIGKILL: no disposal, no flush, nothing runs after it.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
