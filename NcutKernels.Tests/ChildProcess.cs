// ChildProcess: runs a program in a child process with its output captured and a time limit (then the process tree is killed and the test fails).
using System.Diagnostics;
using NUnit.Framework;

namespace NcutKernels.Tests;

internal static class ChildProcess
{
    /// <summary>Runs <paramref name="start"/> (its output redirected here) for at most <paramref name="limit"/>; returns its exit code, stdout and stderr.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The program cannot be started.</exception>
    public static (int Code, string Stdout, string Stderr) Run(ProcessStartInfo start, TimeSpan limit)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in {limit.TotalMinutes:G3} minutes.");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
