// TraceReportBrowserTests: report.html of a real trace rendered in headless Chromium from file:// — its DOM after the script ran, and a screenshot that is not blank.
using System.Text.Json;
using System.Text.RegularExpressions;
using NcutKernels.Cli;
using NUnit.Framework;
using SkiaSharp;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class TraceReportBrowserTests
{
    /// <summary>The longest one browser run may take before it is killed.</summary>
    private static readonly TimeSpan BrowserLimit = TimeSpan.FromSeconds(90);

    /// <summary>A file name that would inject an element if it were not escaped.</summary>
    private const string HostileStem = "<img src=x onerror=alert(1)>";

    private string _dir = null!;
    private string _browser = null!;
    private string _outDir = null!;
    private JsonElement[] _clusters = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _browser = HeadlessChromium.Find()!;
        if (_browser is null)
        {
            string why = $"no Chromium binary found (NCUT_CHROMIUM, or {string.Join(", ", HeadlessChromium.Names)} on PATH); install one (Debian: apt-get install chromium) to run the browser test";
            if (Environment.GetEnvironmentVariable(HeadlessChromium.RequireVariable) == "1")
                Assert.Fail($"{why} ({HeadlessChromium.RequireVariable}=1)");
            Assert.Ignore(why);
        }
        _dir = TempFolder.Create("ncut-trace-browser-");
        string hostile = Path.Combine(_dir, HostileStem + ".jpg");
        File.Copy(DemoImage, hostile);
        _outDir = Path.Combine(_dir, "out");
        var (code, _, stderr) = Run("trace", "--image", hostile, "--image", DemoImage, "--tiles", "1", "--clusters", "3", "--n-eig", "4", "--top", "3",
            "--device", "cpu", "--out", _outDir);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_outDir, TraceReport.JsonName)));
        _clusters = json.RootElement.GetProperty("clusters").EnumerateArray().Select(c => c.Clone()).ToArray();
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (_dir is not null && Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private string ReportUrl => new Uri(Path.Combine(_outDir, TraceHtml.Name)).AbsoluteUri;

    [Test]
    public void Dom_HasEveryClusterWithItsTablesAndMaps_AfterTheScriptRan()
    {
        var (exit, dom, stderr) = HeadlessChromium.Run(_browser, ReportUrl, ["--dump-dom"], _dir, BrowserLimit);
        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(dom, Does.Contain("<h1>ncut trace</h1>"));
        Assert.That(Regex.Matches(dom, "<table class=\"ranked\">"), Has.Count.EqualTo(_clusters.Length));
        Assert.That(Regex.Matches(dom, "<svg class=\"spectrum\""), Has.Count.EqualTo(2));
        foreach (var c in _clusters)
        {
            int id = c.GetProperty("cluster").GetInt32();
            var section = Regex.Match(dom, $"<section class=\"cluster\" id=\"cluster-{id}\".*?</section>", RegexOptions.Singleline);
            Assert.That(section.Success, Is.True, $"cluster {id}");
            var top = c.GetProperty("by_importance").EnumerateArray().Select(t => t.GetProperty("channel").GetInt32()).ToArray();
            var rows = Regex.Matches(section.Value, "<tr data-channel=\"(\\d+)\"").Select(m => int.Parse(m.Groups[1].Value)).ToArray();
            Assert.That(rows, Is.EqualTo(top), $"cluster {id}: the top channels of trace.json, in order");
            Assert.That(Regex.Matches(section.Value, "<img class=\"map( selected)?\" src=\"data:image/png;base64,"), Has.Count.EqualTo(2 * (1 + top.Length)),
                "a mask and a map per top channel on each of the two images");
            // The script selected the first channel: its button is pressed and its maps are in the preview.
            Assert.That(section.Value, Does.Contain($"data-channel=\"{top[0]}\" aria-pressed=\"true\""));
            Assert.That(Regex.Matches(section.Value, "<img class=\"map large\" src=\"data:image/png;base64,"), Has.Count.EqualTo(2), "preview maps");
        }
        Assert.That(dom, Does.Contain("&lt;img src=x onerror=alert(1)&gt;.jpg"), "the file name as text");
        Assert.That(dom, Does.Not.Contain("<img src=\"x\""), "no element made from the file name");
    }

    [Test]
    public void PressingFocusingOrHoveringAChannel_ShowsItsMapsInThePreview()
    {
        // A page beside the report loads it in a frame (same origin with --allow-file-access-from-files) and uses it as a
        // reader would: press the second channel's button, focus the third, hover the first row; after each it records the
        // selected channel (its button pressed), the preview's caption and whether the preview shows that channel's maps from the grid.
        string harness = Path.Combine(_outDir, "harness.html");
        File.WriteAllText(harness, """
            <!DOCTYPE html><html><body><pre id="result">pending</pre>
            <iframe id="report" src="report.html" width="1280" height="900"></iframe>
            <script>
            document.getElementById("report").addEventListener("load", function () {
              var doc = this.contentDocument, out = [];
              function state(section) {
                var pressed = section.querySelector("button.pick[aria-pressed='true']");
                var channel = pressed === null ? "-1" : pressed.dataset.channel;
                var previews = Array.from(section.querySelectorAll(".preview img"));
                var same = previews.length > 0 && previews.every(function (img) {
                  var cell = section.querySelector("table.grid img[data-channel='" + channel + "'][data-image='" + img.dataset.image + "']");
                  return cell !== null && cell.src === img.src;
                });
                return { channel: Number(channel), caption: section.querySelector(".preview .caption").textContent, maps: previews.length, fromGrid: same };
              }
              doc.querySelectorAll("section.cluster").forEach(function (section) {
                var buttons = section.querySelectorAll("button.pick");
                buttons[1].click();
                var afterPress = state(section);
                buttons[2].focus();
                var afterFocus = state(section);
                var row = section.querySelector("tr[data-channel]");
                row.dispatchEvent(new MouseEvent("mouseenter"));
                var afterHover = state(section);
                out.push([afterPress, afterFocus, afterHover]);
              });
              document.getElementById("result").textContent = JSON.stringify(out);
            });
            </script></body></html>
            """);
        var (exit, dom, stderr) = HeadlessChromium.Run(_browser, new Uri(harness).AbsoluteUri, ["--dump-dom", "--allow-file-access-from-files"], _dir, BrowserLimit);
        Assert.That(exit, Is.EqualTo(0), stderr);
        var result = Regex.Match(dom, "<pre id=\"result\">(.*?)</pre>", RegexOptions.Singleline);
        Assert.That(result.Success, Is.True, dom.Length > 2000 ? dom[..2000] : dom);
        using var json = JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(result.Groups[1].Value));
        var sections = json.RootElement.EnumerateArray().ToArray();
        Assert.That(sections, Has.Length.EqualTo(_clusters.Length));
        for (int i = 0; i < sections.Length; i++)
        {
            var top = _clusters[i].GetProperty("by_importance").EnumerateArray().Select(t => t.GetProperty("channel").GetInt32()).ToArray();
            var steps = sections[i].EnumerateArray().ToArray();
            for (int step = 0; step < steps.Length; step++)
            {
                int channel = steps[step].GetProperty("channel").GetInt32();
                Assert.That(channel, Is.EqualTo(top[new[] { 1, 2, 0 }[step]]));
                Assert.That(steps[step].GetProperty("caption").GetString(), Does.StartWith($"Channel {channel}: rank"), $"cluster {i}, step {step}");
                Assert.That(steps[step].GetProperty("maps").GetInt32(), Is.EqualTo(2), "one map per image");
                Assert.That(steps[step].GetProperty("fromGrid").GetBoolean(), Is.True, "the preview shows the grid's maps of that channel");
            }
        }
    }

    [Test]
    public void Screenshot_IsWritten_AndIsNotBlank()
    {
        string shot = Path.Combine(_dir, "report.png");
        var (exit, _, stderr) = HeadlessChromium.Run(_browser, ReportUrl, [$"--screenshot={shot}", "--window-size=1280,2000"], _dir, BrowserLimit);
        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(File.Exists(shot), Is.True, stderr);
        using var bitmap = SKBitmap.Decode(shot);
        Assert.That(bitmap, Is.Not.Null, "a decodable PNG");
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((1280, 2000)));
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
                colours.Add((uint)bitmap.GetPixel(x, y));
        Assert.That(colours, Has.Count.GreaterThan(500), "photos, maps and text, not a blank page");
    }
}
