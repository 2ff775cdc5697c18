// HeadlessChromium: finds a Chromium binary and runs it headless with a time limit (the process tree is killed when it runs over).
using System.Diagnostics;

namespace NcutKernels.Tests.Cli;

internal static class HeadlessChromium
{
    /// <summary>Set to 1 (as the CI script does) to make a missing browser a failure instead of a skipped test.</summary>
    public const string RequireVariable = "NCUT_REQUIRE_CHROMIUM";

    /// <summary>Names looked for on PATH, in order (NCUT_CHROMIUM, a full path, comes first).</summary>
    public static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    /// <summary>The browser's path: $NCUT_CHROMIUM when it names a file, else the first of <see cref="Names"/> on PATH; null when none.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("NCUT_CHROMIUM") is { Length: > 0 } explicitPath && File.Exists(explicitPath))
            return explicitPath;
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return Names.SelectMany(name => folders.Select(folder => Path.Combine(folder, name))).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Runs <paramref name="browser"/> headless on <paramref name="url"/> with <paramref name="arguments"/> in a fresh profile folder
    /// under <paramref name="scratch"/>; returns its exit code and output. Past <paramref name="timeout"/> the whole process tree
    /// is killed and <see cref="TimeoutException"/> thrown.
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string browser, string url, IEnumerable<string> arguments, string scratch, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(browser)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                     "--hide-scrollbars", $"--user-data-dir={Path.Combine(scratch, "profile-" + Guid.NewGuid().ToString("N"))}" }.Concat(arguments))
            start.ArgumentList.Add(a);
        start.ArgumentList.Add(url);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {browser}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // The output ends when every process holding the pipes (helpers included) has exited, so wait for both, within the limit.
        if (!process.WaitForExit(Max(TimeSpan.Zero, timeout - clock.Elapsed))
            || !Task.WaitAll([stdout, stderr], Max(TimeSpan.Zero, timeout - clock.Elapsed)))
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile; its helpers, if any still hold the pipes, end with the test process.
            }
            throw new TimeoutException($"{browser} did not finish within {timeout.TotalSeconds:F0} s and was killed; stderr: {Tail(stderr)}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The last part of a finished (or still running) output read, for a failure message.</summary>
    private static string Tail(Task<string> output) => output.Wait(2000) ? output.Result[Math.Max(0, output.Result.Length - 2000)..] : "(not available)";
}
