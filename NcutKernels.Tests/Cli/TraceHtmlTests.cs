// TraceHtmlTests: report.html on a made-up trace — self-contained (no URL but data: and in-page links), a map per top channel, escaped text, spectrum and diagnostics.
using System.CommandLine;
using System.Text.RegularExpressions;
using NcutKernels.Cli;
using NcutKernels.Solvers;
using NcutKernels.Spectral;
using NUnit.Framework;
using SkiaSharp;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class TraceHtmlTests
{
    /// <summary>Image file names that would inject markup if they were not escaped.</summary>
    private static readonly string[] HostileNames = ["<img src=x onerror=alert(1)>.png", "a&b \"q\" 'p' <script>alert(2)<.png"];

    private const int Top = 3, Channels = 8;
    private string _dir = null!;
    private ChannelTrace _trace = null!;
    private FeatureLayout _layout = null!;
    private string _page = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _dir = TempFolder.Create("ncut-trace-html-");
        var images = HostileNames.Select(n => Path.Combine(_dir, n)).ToArray();
        foreach (var path in images)
            File.WriteAllBytes(path, TestPng.Create(40, 30, 30));
        var options = new TraceOptions();
        var command = new Command("trace");
        options.AddTo(command);
        var settings = options.Settings(command.Parse(["--top", $"{Top}", "--clusters", "3", "--n-eig", "4"]), images, Path.Combine(_dir, "out"), source: null);
        _layout = new FeatureLayout([(4, 5), (3, 6)]);
        var rng = new Random(7);
        var features = new float[_layout.Rows, Channels];
        for (int i = 0; i < _layout.Rows; i++)
            for (int c = 0; c < Channels; c++)
                features[i, c] = (float)rng.NextDouble();
        _trace = MadeUpTrace(_layout.Rows, rng);
        var photos = new[] { Photo(50, 40), Photo(36, 60) };
        try
        {
            var pictures = TracePictures.Draw(_trace, _layout, features, photos, settings.Top, settings.DisplaySize);
            _page = TraceHtml.Render(_trace, settings, _layout, pictures);
        }
        finally
        {
            foreach (var p in photos)
                p.Dispose();
        }
    }

    [OneTimeTearDown]
    public void OneTimeTearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Page_ReferencesNothingOutsideItself()
    {
        var script = Regex.Match(_page, "<script>(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        Assert.That(script, Does.Not.Contain("//").And.Not.Contain("fetch").And.Not.Contain("XMLHttpRequest").And.Not.Contain("import"));
        string markup = _page.Replace(script, "");
        // Attributes inside start tags (escaped text holds no '<', and escaped attribute values no '>').
        var attributes = Regex.Matches(markup, @"<[a-zA-Z][\w-]*((?:\s+[\w-]+(?:\s*=\s*(?:""[^""]*""|'[^']*'|[^\s>""']+))?)*)\s*/?>")
            .SelectMany(tag => Regex.Matches(tag.Groups[1].Value, @"\s+([\w-]+)(?:\s*=\s*(""[^""]*""|'[^']*'|[^\s>""']+))?"))
            .Select(a => (Name: a.Groups[1].Value.ToLowerInvariant(), Value: a.Groups[2].Value.Trim('"', '\''))).ToList();
        Assert.That(attributes.Count(a => a.Name == "class"), Is.GreaterThan(10), "sanity: the attributes are parsed");
        var references = attributes.Where(a => a.Name is "src" or "href" or "srcset" or "action" or "poster" or "xlink:href").Select(a => a.Value).ToList();
        int embedded = _layout.Images * (2 + _trace.Clusters.Count * (1 + Top));   // overlay, eigenvectors, per cluster mask and maps
        Assert.That(references.Count(r => r.StartsWith("data:", StringComparison.Ordinal)), Is.EqualTo(embedded), "every picture found");
        foreach (var r in references)
            Assert.That(r.StartsWith("data:image/png;base64,", StringComparison.Ordinal) || r.StartsWith('#'), Is.True, $"reference {Excerpt(r)}");
        Assert.That(references.Where(r => !r.StartsWith("data:", StringComparison.Ordinal)), Has.None.Contains("//"));
        foreach (var network in new[] { "http:", "https:", "url(", "@import", "<link", "<iframe", "<object", "<embed" })
            Assert.That(_page, Does.Not.Contain(network).IgnoreCase, network);
        Assert.That(Regex.Matches(_page, "<script", RegexOptions.IgnoreCase), Has.Count.EqualTo(1), "one inline script");
        Assert.That(_page, Does.Contain("<script>\n"), "the script has no src");
    }

    [Test]
    public void EveryTopChannelOfEveryCluster_HasAnEmbeddedMapOnEveryImage()
    {
        foreach (var c in _trace.Clusters)
        {
            Assert.That(_page, Does.Contain($"id=\"cluster-{c.Cluster}\""));
            foreach (int j in c.BySigned.Take(Top))
            {
                Assert.That(_page, Does.Contain($"<tr data-channel=\"{j}\""), $"cluster {c.Cluster} lists channel {j}");
                for (int m = 0; m < _layout.Images; m++)
                {
                    var img = Regex.Match(_page, $"<img class=\"map\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\" data-cluster=\"{c.Cluster}\" data-channel=\"{j}\" data-image=\"{m}\"");
                    Assert.That(img.Success, Is.True, $"cluster {c.Cluster}, channel {j}, image {m}");
                    using var map = SKBitmap.Decode(Convert.FromBase64String(img.Groups[1].Value));
                    Assert.That((map.Width, map.Height), Is.EqualTo((_layout.Width(m), _layout.Height(m))), "one pixel per patch");
                }
            }
        }
        Assert.That(Regex.Matches(_page, "<img class=\"map\" src=\"data:image/png;base64,[^\"]+\" data-cluster="),
            Has.Count.EqualTo(_trace.Clusters.Sum(c => Math.Min(Top, c.BySigned.Length)) * _layout.Images), "no map twice");
    }

    [Test]
    public void FileNames_AreEscaped_AndStayInert()
    {
        Assert.That(_page, Does.Not.Contain("<img src=x"));
        Assert.That(_page, Does.Not.Contain("<script>alert"));
        Assert.That(_page, Does.Contain("&lt;img src=x onerror=alert(1)&gt;.png"));
        Assert.That(_page, Does.Contain("a&amp;b &quot;q&quot; &#39;p&#39; &lt;script&gt;alert(2)&lt;.png"));
        var title = Regex.Match(_page, "<title>(.*)</title>").Groups[1].Value;
        Assert.That(title, Does.Not.Contain("<").And.Not.Contain(">"));
    }

    [Test]
    public void Spectrum_IsAnInlineSvgWithABarPerEigenvalue()
    {
        int k = _trace.Eigenvalues.Length;
        Assert.That(Regex.Matches(_page, "<svg class=\"spectrum\""), Has.Count.EqualTo(2), "all eigenvalues, and all but λ1");
        Assert.That(Regex.Matches(_page, "<rect class=\"bar\""), Has.Count.EqualTo(k + k - 1));
        Assert.That(_page, Does.Contain($"<title>λ2 = {_trace.Eigenvalues[1]:R}</title>"));
    }

    [Test]
    public void Diagnostics_AndRankings_AreShownPerCluster()
    {
        var doubtful = _trace.Clusters[1].Gradient!;
        Assert.That(doubtful.Reliable, Is.False, "sanity");
        Assert.That(_page, Does.Contain("<div class=\"diag doubtful\">"));
        Assert.That(_page, Does.Contain(Html.Text(doubtful.ToString())));
        Assert.That(_page, Does.Contain("No eigen-backward diagnostics"), "cluster 2 has none");
        Assert.That(Regex.Matches(_page, "<table class=\"all\">"), Has.Count.EqualTo(_trace.Clusters.Count));
        var c0 = _trace.Clusters[0];
        int best = c0.BySigned[0];
        Assert.That(_page, Does.Contain($"<td class=\"num\">{Html.Number(c0.Importance(best), "+0.000E+0;-0.000E+0")}</td><td class=\"num\">{Html.Number(c0.MeanAbsGradient[best], "0.000E+0")}</td>"));
    }

    /// <summary>Three clusters over <paramref name="n"/> points: one with a reliable gradient, one doubtful, one without diagnostics.</summary>
    private static ChannelTrace MadeUpTrace(int n, Random rng)
    {
        const int k = 4, clusters = 3;
        var labels = Enumerable.Range(0, n).Select(i => i % clusters).ToArray();
        var u = new double[n, k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
                u[i, j] = rng.NextDouble() - 0.5;
        var reports = new EigenGradientReport?[]
        {
            new(8, 9, 6e-7, true, 0, 9.5e-4, 2.2e-3, 2.4e-3, false, 0),
            new(200, 210, 3e-2, false, 1, 1e-5, 1e-6, 0.5, true, 2),
            null,
        };
        var traces = Enumerable.Range(0, clusters).Select(c =>
        {
            var points = Enumerable.Range(0, n).Where(i => labels[i] == c).ToArray();
            var mean = Enumerable.Range(0, Channels).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var meanAbs = mean.Select(v => Math.Abs(v) + rng.NextDouble()).ToArray();
            var bySigned = Enumerable.Range(0, Channels).OrderByDescending(j => -mean[j]).ToArray();
            var byMagnitude = Enumerable.Range(0, Channels).OrderByDescending(j => meanAbs[j]).ToArray();
            return new ClusterTrace(c, points, -0.03 * (c + 1), mean, meanAbs, bySigned, byMagnitude, reports[c]);
        }).ToList();
        return new ChannelTrace(u, labels, new double[n, clusters], new double[k, clusters], [1.0, 0.0756, 0.0618, -0.002], 0.5, traces, 12, 34);
    }

    private static SKBitmap Photo(int width, int height)
    {
        var bitmap = new SKBitmap(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(5 * x), (byte)(4 * y), 128));
        return bitmap;
    }

    private static string Excerpt(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
