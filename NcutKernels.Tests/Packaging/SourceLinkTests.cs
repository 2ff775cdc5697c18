// SourceLinkTests: the library packed in a git repository whose origin is on GitHub names that repository and commit and its PDB maps the sources there; with a local origin only the commit.
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text;
using System.Text.Json;
using NUnit.Framework;

namespace NcutKernels.Tests.Packaging;

/// <summary>
/// Copies the library's sources and the repository's build files (as they are in this working tree, committed or not) into a
/// fresh git repository with one commit, gives it an origin remote, packs the library (Release, a full build: 8 s to 40 s
/// each on a 2-core VM, by its load) and reads the nuspec's <c>repository</c> element and the symbols package's PDB: its
/// Source Link map and the generated sources embedded in it (the settings in Directory.Build.props).
/// </summary>
[TestFixture]
public class SourceLinkTests
{
    /// <summary>The custom debug information kinds of a portable PDB: the Source Link JSON and an embedded source file.</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A"), EmbeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    private string _root = null!, _repository = null!, _commit = null!;

    /// <summary>Creates the repository once: the library folder (without bin/ and obj/) and the root files its pack reads, with
    /// .gitignore (git ignores obj/, so the sources generated there count as untracked and are embedded).</summary>
    [OneTimeSetUp]
    public void CreateRepository()
    {
        _root = TempFolder.Create("ncut-sourcelink-");
        _repository = Directory.CreateDirectory(Path.Combine(_root, "repository")).FullName;
        string source = RepositoryFolders.Root;
        foreach (string file in new[] { ".gitignore", "Directory.Build.props", "Directory.Packages.props", "README.md", "LICENSE", "THIRD-PARTY-NOTICES.md" })
            File.Copy(Path.Combine(source, file), Path.Combine(_repository, file));
        string library = Path.Combine(source, "NcutKernels");
        foreach (string file in Directory.EnumerateFiles(library, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(library, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj")
                continue;
            string target = Path.Combine(_repository, "NcutKernels", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        // Restores without the network: nothing from any feed, the packages the library needs from the machine's cache.
        PackageHarness.WriteOfflineNuGetConfig(_root, Directory.CreateDirectory(Path.Combine(_root, "empty-feed")).FullName, Path.Combine(_root, "packages"));
        Git("init", "-q");
        Git("add", "-A");
        Git("-c", "user.name=NcutKernels tests", "-c", "user.email=tests@example.com", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "library");
        _commit = Git("rev-parse", "HEAD").Trim();
    }

    [OneTimeTearDown]
    public void Delete() => Directory.Delete(_root, recursive: true);

    private string Git(params string[] args) => PackageHarness.Run("git", _repository, null, args);

    /// <summary>Sets the origin remote to <paramref name="url"/> and packs the library into <paramref name="folder"/> (under the
    /// temporary root); returns the package and the symbols package.</summary>
    private (string Package, string Symbols) Pack(string url, string folder)
    {
        Git("config", "remote.origin.url", url);
        string output = Path.Combine(_root, folder);
        PackageHarness.Dotnet(_repository, "pack", Path.Combine("NcutKernels", "NcutKernels.csproj"), "-c", "Release", "-o", output, "-nologo");
        var (package, _) = PackageHarness.Package(output, "NcutKernels");
        return (package, Path.ChangeExtension(package, ".snupkg"));
    }

    /// <summary>The nuspec's <c>repository</c> element's attributes (type, url, commit, …) by name.</summary>
    private static Dictionary<string, string> Repository(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var metadata = PackageHarness.NuspecMetadata(zip);
        var repository = metadata.Element(metadata.Name.Namespace + "repository");
        Assert.That(repository, Is.Not.Null, "the nuspec has a repository element");
        return repository!.Attributes().ToDictionary(a => a.Name.LocalName, a => a.Value);
    }

    /// <summary>The library PDB's Source Link map (document path pattern → URL pattern; empty without one) and its embedded sources' paths.</summary>
    private static (Dictionary<string, string> Documents, string[] Embedded) Pdb(string symbols)
    {
        using var zip = ZipFile.OpenRead(symbols);
        var bytes = new MemoryStream();
        using (var stream = zip.GetEntry("lib/net10.0/NcutKernels.pdb")!.Open())
            stream.CopyTo(bytes);
        bytes.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(bytes);
        var reader = provider.GetMetadataReader();
        var documents = new Dictionary<string, string>();
        var embedded = new List<string>();
        foreach (var handle in reader.CustomDebugInformation)
        {
            var information = reader.GetCustomDebugInformation(handle);
            var kind = reader.GetGuid(information.Kind);
            if (kind == SourceLinkKind)
            {
                using var json = JsonDocument.Parse(Encoding.UTF8.GetString(reader.GetBlobBytes(information.Value)));
                foreach (var entry in json.RootElement.GetProperty("documents").EnumerateObject())
                    documents[entry.Name] = entry.Value.GetString()!;
            }
            else if (kind == EmbeddedSourceKind && information.Parent.Kind == HandleKind.Document)
                embedded.Add(reader.GetString(reader.GetDocument((DocumentHandle)information.Parent).Name));
        }
        return (documents, embedded.ToArray());
    }

    [Test]
    public void Pack_WithAGitHubOrigin_NamesTheRepositoryAndCommit_AndThePdbMapsTheSources()
    {
        var (package, symbols) = Pack("https://github.com/example/NcutKernels.git", "github");
        var repository = Repository(package);
        Assert.That(repository.GetValueOrDefault("type"), Is.EqualTo("git"));
        Assert.That(repository.GetValueOrDefault("url"), Is.EqualTo("https://github.com/example/NcutKernels.git"));
        Assert.That(repository.GetValueOrDefault("commit"), Is.EqualTo(_commit));

        var (documents, embedded) = Pdb(symbols);
        Assert.That(documents.Values, Is.EqualTo(new[] { $"https://raw.githubusercontent.com/example/NcutKernels/{_commit}/*" }),
            "every source of the repository maps to its file at the commit");
        Assert.That(embedded, Has.Some.EndsWith("AssemblyInfo.cs"), "sources git does not track (generated) are embedded");
    }

    [Test]
    public void Pack_WithALocalOrigin_NamesTheCommitAlone()
    {
        var (package, symbols) = Pack(_repository, "local");   // as in a clone of a folder on this machine
        var repository = Repository(package);
        Assert.That(repository.GetValueOrDefault("type"), Is.EqualTo("git"));
        Assert.That(repository.ContainsKey("url"), Is.False, "no machine path published as the repository");
        Assert.That(repository.GetValueOrDefault("commit"), Is.EqualTo(_commit));
        Assert.That(Pdb(symbols).Documents, Is.Empty, "no Source Link map without a hosted repository");
    }
}
