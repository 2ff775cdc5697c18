// ToolPackageTests: `dotnet pack` of NcutKernels.Cli gives the .NET tool `ncut`, each file once in its folder, with its licences, within 200 MB, and it installs and runs.
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using NUnit.Framework;

namespace NcutKernels.Tests.Packaging;

/// <summary>
/// Packs NcutKernels.Cli (the build the tests run against, <c>--no-build</c>) into a local feed once and reads the package: a
/// DotnetTool whose settings name the command <c>ncut</c>, its metadata, every file once and in the folder the tool looks in
/// (<c>AppContext.BaseDirectory</c>: the ResNet-18 model files, the demo photos, the label font), the licence and notices, only
/// the natives of the platforms it supports and none of their debug symbols, within 200 MB; then installs it from that feed
/// into a temporary <c>--tool-path</c> and runs <c>ncut info</c>.
/// </summary>
[TestFixture]
public class ToolPackageTests
{
    /// <summary>Where the tool's files sit in the package: the tool folder of a framework-dependent (any-runtime) tool.</summary>
    private const string ToolFolder = "tools/net10.0/any/";

    /// <summary>Files the tool reads beside itself, by their path under the tool folder.</summary>
    private static readonly string[] Payload =
    [
        "ncut.dll", "NcutKernels.dll",
        "DnnImageModels/ResNet18Onnx/ResNet18.onnx", "DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx",
        "ReferenceData/images/cat.jpg", "ReferenceData/images/astronaut.jpg", "ReferenceData/images/coffee.jpg", "ReferenceData/demo.jpg",
        "Assets/fonts/DejaVuSans.ttf", "Assets/fonts/DejaVuSans-LICENSE.txt",
        "third-party/onnxruntime-ThirdPartyNotices.txt", "third-party/SkiaSharp-THIRD-PARTY-NOTICES.txt",
    ];

    /// <summary>The most the package and the files it installs may take (the bound CI sets for the portable publish).</summary>
    private const long MaxBytes = 200L * 1024 * 1024;

    private string _root = null!, _feed = null!, _package = null!, _version = null!;

    /// <summary>Packs the tool once (the build the tests run against, <c>--no-build</c>) into a local feed every test reads.</summary>
    [OneTimeSetUp]
    public void Pack()
    {
        _root = TempFolder.Create("ncut-toolpack-");
        _feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        PackageHarness.Dotnet(null, "pack", PackageHarness.Project("NcutKernels.Cli"), "-c", PackageHarness.Configuration, "--no-build", "-o", _feed, "-nologo");
        (_package, _version) = PackageHarness.Package(_feed, "NcutKernels.Cli");
    }

    [OneTimeTearDown]
    public void Delete() => Directory.Delete(_root, recursive: true);

    [Test]
    public void Pack_GivesADotnetToolNamedNcut()
    {
        using var zip = ZipFile.OpenRead(_package);
        var metadata = PackageHarness.NuspecMetadata(zip);
        Assert.That(metadata.Value("id"), Is.EqualTo("NcutKernels.Cli"));
        Assert.That(metadata.Descendants(metadata.Name.Namespace + "packageType").Select(t => t.Attribute("name")?.Value),
            Is.EqualTo(new[] { "DotnetTool" }));
        Assert.That(metadata.Value("description"), Does.Contain("ncut").And.Contain("Normalized Cut"));
        Assert.That(metadata.Value("tags"), Does.Contain("spectral-clustering"));
        Assert.That(metadata.Value("license"), Is.EqualTo("MIT"));
        Assert.That(metadata.Value("readme"), Is.EqualTo("README.md"));
        Assert.That(metadata.Value("version"), Is.EqualTo(_version).And.Not.EqualTo("1.0.0"), "the version comes from git (MinVer)");
        Assert.That(metadata.Descendants(metadata.Name.Namespace + "dependency"), Is.Empty, "a tool carries its dependencies");

        XDocument settings;
        using (var stream = zip.GetEntry(ToolFolder + "DotnetToolSettings.xml")!.Open())
            settings = XDocument.Load(stream);
        var commands = settings.Descendants("Command").ToArray();
        Assert.That(commands.Select(c => c.Attribute("Name")?.Value), Is.EqualTo(new[] { "ncut" }));
        Assert.That(commands[0].Attribute("EntryPoint")?.Value, Is.EqualTo("ncut.dll"));
        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.That(readme.ReadToEnd(), Does.StartWith("# ncut").And.Contain("dotnet tool install"));
    }

    [Test]
    public void Pack_HoldsEachFileOnceInTheToolFolder()
    {
        using var zip = ZipFile.OpenRead(_package);
        var names = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.That(names, Is.Unique);
        Assert.That(names.Select(n => n.ToLowerInvariant()), Is.Unique, "no two entries differ in case alone");
        Assert.That(names, Is.SupersetOf(Payload.Select(p => ToolFolder + p)));
        Assert.That(names, Is.SupersetOf(new[] { "LICENSE", "THIRD-PARTY-NOTICES.md", "README.md" }));
        Assert.That(names.Where(n => n.StartsWith("content", StringComparison.Ordinal)), Is.Empty,
            "content files travel in the tool folder only, not a second time as package content");
        var copies = zip.Entries.Where(e => e.Length > 0)
            .GroupBy(e => (e.Length, e.Crc32))
            .Where(g => g.Count() > 1)
            .Select(g => string.Join(" = ", g.Select(e => e.FullName)));
        Assert.That(copies, Is.Empty, "every file once: no two entries with the same bytes");
        Assert.That(names.Where(n => n.StartsWith(ToolFolder, StringComparison.Ordinal) && n.EndsWith(".xml", StringComparison.Ordinal)
                && !n.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal)), Is.Empty,
            "no API documentation the tool never reads");
        Assert.That(names.Where(n => n.Count(c => c == '/') == ToolFolder.Count(c => c == '/') + 1 && n.EndsWith(".resources.dll", StringComparison.Ordinal)), Is.Empty,
            "no satellite resource assemblies");
    }

    [Test]
    public void Pack_CarriesTheLicenceAndNoticesOfWhatItShips()
    {
        using var zip = ZipFile.OpenRead(_package);
        string Text(string name)
        {
            using var reader = new StreamReader(zip.GetEntry(name)!.Open());
            return reader.ReadToEnd();
        }
        Assert.That(Text("LICENSE"), Does.StartWith("MIT License").And.Contain("NcutKernels contributors"));
        string notices = Text("THIRD-PARTY-NOTICES.md");
        foreach (string shipped in new[] { "ILGPU", "ONNX Runtime", "System.Numerics.Tensors", "SkiaSharp", "ResNet18.onnx",
                     "ResNetPreprocess.onnx", "cat.jpg", "astronaut.jpg", "coffee.jpg", "demo.jpg", "DejaVuSans.ttf",
                     "third-party/onnxruntime-ThirdPartyNotices.txt", "third-party/SkiaSharp-THIRD-PARTY-NOTICES.txt" })
            Assert.That(notices, Does.Contain(shipped), $"THIRD-PARTY-NOTICES.md names {shipped}");
        // Every managed assembly beside ncut that is not the project's own: named (as its package) in the notices.
        var assemblies = zip.Entries.Select(e => e.FullName)
            .Where(n => n.StartsWith(ToolFolder, StringComparison.Ordinal) && !n[ToolFolder.Length..].Contains('/') && n.EndsWith(".dll", StringComparison.Ordinal))
            .Select(n => Path.GetFileNameWithoutExtension(n)).Except(["ncut", "NcutKernels"]).ToArray();
        Assert.That(assemblies, Does.Contain("System.CommandLine"), "the list is read from the package");
        foreach (string assembly in assemblies)
            Assert.That(notices, Does.Contain(assembly.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal) ? "ONNX Runtime" : assembly),
                $"THIRD-PARTY-NOTICES.md names the shipped {assembly}.dll");
        Assert.That(Text(ToolFolder + "Assets/fonts/DejaVuSans-LICENSE.txt"), Does.Contain("Bitstream Vera"));
    }

    [Test]
    public void Pack_CarriesOnlyTheSupportedNativesWithoutDebugSymbols_Within200MB()
    {
        using var zip = ZipFile.OpenRead(_package);
        var natives = zip.Entries.Select(e => e.FullName).Where(n => n.StartsWith(ToolFolder + "runtimes/", StringComparison.Ordinal)).ToArray();
        Assert.That(natives.Where(n => n.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase)), Is.Empty, "no native debug symbols");
        Assert.That(natives.Select(n => n[(ToolFolder + "runtimes/").Length..].Split('/')[0]).Distinct(),
            Is.SubsetOf(new[] { "linux-x64", "osx", "osx-arm64", "win-x64" }), "the natives of Linux x64, Windows x64 and macOS only");
        Assert.That(natives, Has.Some.EndsWith("linux-x64/native/libonnxruntime.so").And.Some.EndsWith("linux-x64/native/libSkiaSharp.so"));
        long unpacked = zip.Entries.Sum(e => e.Length);
        Assert.That(new FileInfo(_package).Length, Is.LessThanOrEqualTo(MaxBytes), "the package");
        Assert.That(unpacked, Is.LessThanOrEqualTo(MaxBytes), "the files it installs");
    }

    [Test]
    public void Install_FromALocalFeed_RunsNcutInfo()
    {
        // As a user would, with the package's feed alone as the source (no network): `dotnet tool install --tool-path`, then
        // the installed command. The shim finds the .NET runtime through DOTNET_ROOT: the one running these tests.
        string tools = Path.Combine(_root, "tools");
        string config = PackageHarness.WriteOfflineNuGetConfig(_root, _feed, Path.Combine(_root, "packages"));
        PackageHarness.Dotnet(null, "tool", "install", "--tool-path", tools, "--configfile", config, "NcutKernels.Cli", "--version", _version);

        string toolFolder = Path.GetDirectoryName(Directory.GetFiles(Path.Combine(tools, ".store"), "ncut.dll", SearchOption.AllDirectories).Single())!;
        foreach (string file in Payload)
            Assert.That(File.Exists(Path.Combine(toolFolder, file)), Is.True, $"{file} installed beside ncut.dll (AppContext.BaseDirectory)");
        string dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string ncut = Path.Combine(tools, OperatingSystem.IsWindows() ? "ncut.exe" : "ncut");
        string info = PackageHarness.Run(ncut, _root, new Dictionary<string, string> { ["DOTNET_ROOT"] = dotnetRoot }, "info");
        Assert.That(info, Does.Contain("Auto picks"));
    }
}
