// StagedFilesTests: atomic output sets — all files or none, old contents kept on failure, rollback when a rename fails, no temporaries left; Npy.Write through it.
using NcutKernels.IO;
using NUnit.Framework;

namespace NcutKernels.Tests.IO;

[TestFixture]
public class StagedFilesTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = TempFolder.Create("ncut-staged-");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(params string[] parts) => Path.Combine([_dir, .. parts]);

    private static Action<Stream> Text(string text) => s => s.Write(System.Text.Encoding.UTF8.GetBytes(text));

    [Test]
    public void Commit_PutsEveryFileInPlace_AndLeavesNoTemporaries()
    {
        using (var files = new StagedFiles())
        {
            files.Add(P("a.txt"));
            files.Add(P("b.txt"));
            Assert.That(TempFolder.Entries(_dir), Has.Length.EqualTo(2).And.All.StartsWith("."), "two hidden temporaries before the commit");
            files.Write(P("a.txt"), Text("A"));
            files.Write(P("b.txt"), Text("B"));
            Assert.That(File.Exists(P("a.txt")), Is.False, "nothing in place before the commit");
            files.Commit();
            Assert.That(files.Targets, Is.EqualTo(new[] { P("a.txt"), P("b.txt") }));
        }
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "a.txt", "b.txt" }));
        Assert.That(File.ReadAllText(P("b.txt")), Is.EqualTo("B"));
    }

    [Test]
    public void Dispose_WithoutCommit_LeavesNothing()
    {
        using (var files = new StagedFiles())
        {
            files.Write(P("a.txt"), Text("A"));
            files.Add(P("b.txt"));
        }
        Assert.That(TempFolder.Entries(_dir), Is.Empty);
    }

    [Test]
    public void WriterThatFailsMidway_LeavesTheOldFileIntact_AndNoTemporary()
    {
        File.WriteAllText(P("a.txt"), "old contents");
        Assert.That(() => StagedFiles.WriteAtomically(P("a.txt"), s =>
        {
            s.Write(new byte[1000]);
            throw new IOException("No space left on device");
        }), Throws.TypeOf<IOException>().With.Message.EqualTo("No space left on device"));
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "a.txt" }));
        Assert.That(File.ReadAllText(P("a.txt")), Is.EqualTo("old contents"));
    }

    [Test]
    public void RenameThatFailsDuringTheCommit_RollsBackTheFilesAlreadyInPlace()
    {
        using (var files = new StagedFiles())
        {
            files.Write(P("a.txt"), Text("A"));
            files.Write(P("b.txt"), Text("B"));
            Directory.CreateDirectory(P("b.txt"));   // appears after the checks: the second rename cannot replace a folder
            Assert.That(files.Commit, Throws.InstanceOf<IOException>());
        }
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "b.txt" }), "a.txt rolled back, temporaries gone, the folder untouched");
    }

    [Test]
    public void Add_RefusesBadTargets_NamingThem()
    {
        using var files = new StagedFiles();
        Directory.CreateDirectory(P("folder"));
        Assert.That(() => files.Add(P("folder")), Throws.InstanceOf<IOException>().With.Message.Contains("is a folder"));
        Assert.That(() => files.Add(P("missing", "a.txt")), Throws.TypeOf<DirectoryNotFoundException>().With.Message.Contains("does not exist"));
        Assert.That(() => files.Add(""), Throws.InstanceOf<ArgumentException>());
        Assert.That(() => files.Add("a\0b"), Throws.InstanceOf<ArgumentException>());
        files.Add(P("a.txt"));
        Assert.That(() => files.Add(P(".", "a.txt")), Throws.InstanceOf<ArgumentException>().With.Message.Contains("two outputs"));
    }

    [Test]
    public void Commit_OfAFileNeverWritten_Throws_AndLeavesNothing()
    {
        using (var files = new StagedFiles())
        {
            files.Add(P("a.txt"));
            Assert.That(files.Commit, Throws.InvalidOperationException.With.Message.Contains("nothing was written"));
        }
        Assert.That(TempFolder.Entries(_dir), Is.Empty);
    }

    [Test]
    public void Folder_New_AppearsOnlyAtTheCommit()
    {
        using (var files = new StagedFiles(P("out")))
        {
            files.Write(P("out", "a.txt"), Text("A"));
            files.Write(P("out", "b.txt"), Text("B"));
            Assert.That(Directory.Exists(P("out")), Is.False);
            files.Commit();
        }
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "out", Path.Combine("out", "a.txt"), Path.Combine("out", "b.txt") }));
    }

    [Test]
    public void Folder_Existing_GetsTheFilesMovedIn_OthersKept()
    {
        Directory.CreateDirectory(P("out"));
        File.WriteAllText(P("out", "keep.txt"), "keep");
        File.WriteAllText(P("out", "a.txt"), "old A");
        using (var files = new StagedFiles(P("out")))
        {
            files.Write(P("out", "a.txt"), Text("new A"));
            files.Commit();
        }
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "out", Path.Combine("out", "a.txt"), Path.Combine("out", "keep.txt") }));
        Assert.That(File.ReadAllText(P("out", "a.txt")), Is.EqualTo("new A"));
    }

    [Test]
    public void Folder_DisposedWithoutCommit_LeavesNoFolderAndNoStaging()
    {
        using (var files = new StagedFiles(P("out")))
            files.Write(P("out", "a.txt"), Text("A"));
        Assert.That(TempFolder.Entries(_dir), Is.Empty);
    }

    [Test]
    public void Folder_RefusesBadFolders_AndFilesOutsideIt()
    {
        File.WriteAllText(P("file"), "");
        Assert.That(() => new StagedFiles(P("file")), Throws.InstanceOf<IOException>().With.Message.Contains("is a file"));
        Assert.That(() => new StagedFiles(P("missing", "out")), Throws.TypeOf<DirectoryNotFoundException>().With.Message.Contains("parent folder"));
        using (var files = new StagedFiles(P("out")))
            Assert.That(() => files.Add(P("elsewhere.txt")), Throws.InstanceOf<ArgumentException>().With.Message.Contains("not in the output folder"));
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "file" }));
    }

    [Test]
    public void NpyWrite_OntoAFolder_Throws_AndTouchesNothing()
    {
        Directory.CreateDirectory(P("x.npy"));
        Assert.That(() => Npy.Write(P("x.npy"), new double[,] { { 1 } }), Throws.InstanceOf<IOException>().With.Message.Contains("is a folder"));
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "x.npy" }));
    }

    [Test]
    public void NpyWrite_ReplacesAnExistingFile_AndLeavesNoTemporary()
    {
        Npy.Write(P("x.npy"), new double[,] { { 1, 2 } });
        Npy.Write(P("x.npy"), new float[,] { { 3 }, { 4 } });
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "x.npy" }));
        Assert.That(Npy.Read(P("x.npy")).Singles, Is.EqualTo(new float[] { 3, 4 }));
    }
}
