package dev.apilink.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.apilink.token.SigningKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeygenCommandTest {

  private static final String N = System.lineSeparator();

  @TempDir Path dir;

  @Test
  void keygenPrintsAPrivateRsaKeySetThatTheFilterAccepts() throws Exception {
    Run run = Run.of("keygen");

    assertEquals(0, run.status(), run.err());
    SigningKeys keys = SigningKeys.parse(run.out());
    RSAKey key = (RSAKey) keys.current();
    assertTrue(key.isPrivate());
    assertEquals(2048, key.size());
    assertEquals(KeyUse.SIGNATURE, key.getKeyUse());
    assertEquals("RS256", key.getAlgorithm().getName());
    assertEquals(key.computeThumbprint().toString(), key.getKeyID());
    assertEquals(
        "keygen: new RSA 2048-bit signing key \"" + key.getKeyID() + "\" (RS256)." + N, run.err());
  }

  @Test
  void theKeyIdAndSizeCanBeChosen() throws Exception {
    Run run = Run.of("keygen", "--kid", "2026-11", "--bits", "3072");

    RSAKey key = (RSAKey) SigningKeys.parse(run.out()).current();
    assertEquals("2026-11", key.getKeyID());
    assertEquals(3072, key.size());
  }

  @Test
  void thePrivatePartsGoToStandardOutputOnly() throws Exception {
    Run run = Run.of("keygen");

    RSAKey key = (RSAKey) JWKSet.parse(run.out()).getKeys().get(0);
    assertTrue(run.out().contains(key.getPrivateExponent().toString()));
    assertFalse(run.err().contains(key.getPrivateExponent().toString()));
    assertFalse(run.err().contains(key.getFirstPrimeFactor().toString()));
  }

  @Test
  void addToKeepsTheOldKeysFirstAndAppendsTheNewOne() throws Exception {
    Path file = dir.resolve("keys.json");
    Files.writeString(file, Run.of("keygen", "--kid", "old").out());
    String oldKey = JWKSet.parse(Files.readString(file)).getKeys().get(0).toJSONString();

    Run run = Run.of("keygen", "--kid", "new", "--add-to", file.toString());

    assertEquals(0, run.status(), run.err());
    SigningKeys keys = SigningKeys.parse(run.out());
    assertEquals(List.of("old", "new"), keys.keyIds());
    assertEquals("old", keys.current().getKeyID());
    List<JWK> printed = JWKSet.parse(run.out()).getKeys();
    assertEquals(oldKey, printed.get(0).toJSONString());
    assertTrue(printed.get(1).isPrivate());
    assertEquals(
        "keygen: new RSA 2048-bit signing key \"new\" (RS256), after the 1 key of "
            + file
            + "."
            + N
            + "keygen: every key of the file is published in the JWKS, and the first signs unless"
            + " token.signingKeyId names another. Deploy the new file first; once the gateway has"
            + " the new JWKS, set token.signingKeyId to \"new\"."
            + N,
        run.err());
  }

  @Test
  void addToReadsAKeyFileSavedWithAByteOrderMark() throws Exception {
    Path file = dir.resolve("keys.json");
    Files.writeString(file, "\uFEFF" + Run.of("keygen", "--kid", "old").out());

    Run run = Run.of("keygen", "--kid", "new", "--add-to", file.toString());

    assertEquals(0, run.status(), run.err());
    assertEquals(List.of("old", "new"), SigningKeys.parse(run.out()).keyIds());
  }

  @Test
  void addToTakesASingleJwkToo() throws Exception {
    Path file = dir.resolve("key.json");
    JWK single = JWKSet.parse(Run.of("keygen", "--kid", "only").out()).getKeys().get(0);
    Files.writeString(file, single.toJSONString());

    Run run = Run.of("keygen", "--add-to", file.toString());

    assertEquals(0, run.status(), run.err());
    List<String> kids = SigningKeys.parse(run.out()).keyIds();
    assertEquals(2, kids.size());
    assertEquals("only", kids.get(0));
  }

  @Test
  void aKidAlreadyInTheFileIsRefused() throws Exception {
    Path file = dir.resolve("keys.json");
    Files.writeString(file, Run.of("keygen", "--kid", "k1").out());

    Run run = Run.of("keygen", "--kid", "k1", "--add-to", file.toString());

    assertEquals(1, run.status());
    assertEquals("", run.out());
    assertEquals("keygen: --kid \"k1\" is already used by a key of " + file + N, run.err());
  }

  @Test
  void anEmptyFileIsExplainedAsTheShellsTruncation() throws Exception {
    Path file = dir.resolve("keys.json");
    Files.writeString(file, "");

    Run run = Run.of("keygen", "--add-to", file.toString());

    assertEquals(1, run.status());
    assertEquals(
        "keygen: "
            + file
            + " is empty; write the output to a new file, then move it over the old one"
            + N,
        run.err());
  }

  @Test
  void aPublicOnlyKeySetCannotBeAddedTo() throws Exception {
    Path file = dir.resolve("jwks.json");
    JWKSet set = JWKSet.parse(Run.of("keygen", "--kid", "k1").out());
    Files.writeString(file, set.toPublicJWKSet().toString());

    Run run = Run.of("keygen", "--add-to", file.toString());

    assertEquals(1, run.status());
    assertEquals("", run.out());
    assertEquals(
        "keygen: "
            + file
            + " is not a usable signing key file: key \"k1\": has no private part; a public key"
            + " cannot sign tokens"
            + N,
        run.err());
  }

  @Test
  void aKeyOfATypeJwkDoesNotDefineIsNamedNotCountedAmongTheKeys() throws Exception {
    Path file = dir.resolve("keys.json");
    String good = Run.of("keygen", "--kid", "k1").out();
    String miscased =
        JWKSet.parse(Run.of("keygen", "--kid", "k2").out())
            .getKeys()
            .get(0)
            .toJSONString()
            .replace("\"kty\":\"RSA\"", "\"kty\":\"rsa\"");
    Files.writeString(file, good.replaceFirst("]\\s*}\\s*$", "," + miscased + "]}"));

    Run run = Run.of("keygen", "--kid", "k3", "--add-to", file.toString());

    assertEquals(1, run.status(), run.err());
    assertEquals("", run.out());
    assertEquals(
        "keygen: "
            + file
            + " is not a usable signing key file: key #2: its \"kty\" is none of JWK's key types"
            + " (RSA, EC, oct, OKP; in capitals as written here); use RSA or EC P-256"
            + N,
        run.err());
  }

  @Test
  void aMissingFileIsNamed() {
    Path file = dir.resolve("missing.json");

    Run run = Run.of("keygen", "--add-to", file.toString());

    assertEquals(1, run.status());
    assertEquals(
        "keygen: cannot read " + file + " (NoSuchFileException: " + file + ")" + N, run.err());
  }

  @Test
  void aDirectoryIsNamedWithTheReason() {
    // It said only "cannot read /etc (IOException)", where link says "Is a directory".
    Run run = Run.of("keygen", "--add-to", dir.toString());

    assertEquals(1, run.status());
    assertEquals("", run.out());
    assertEquals("keygen: cannot read " + dir + " (IOException: Is a directory)" + N, run.err());
  }

  @Test
  void aKidThatApiManagementWouldNotMatchAsTypedIsRefused() {
    // " k1" went into the key set; validate-jwt compares a token's kid with the JWKS' exactly, and
    // the filter's token.signingKeyId is compared the same way.
    assertKidRefused("must not start or end with white space (was \" k1\")", " k1");
    assertKidRefused("must not start or end with white space (was \"k1\u00a0\")", "k1\u00a0");
    assertKidRefused("must not hold control characters (was \"k\\u00091\")", "k\t1");
  }

  @Test
  void anAddToPathThatIsNotAPathIsAProblemNotAStackTrace() {
    // On Windows, "<" ">" "*" "?" "|" make a name the file system refuses, as NUL does here.
    Run run = Run.of("keygen", "--add-to", "keys\u0000.json");

    assertEquals(1, run.status(), run.all());
    assertTrue(run.err().startsWith("keygen: cannot read keys"), run.err());
  }

  private static void assertKidRefused(String problem, String kid) {
    Run run = Run.of("keygen", "--kid", kid);

    assertEquals(2, run.status());
    assertEquals("", run.out());
    assertEquals(
        "apilink keygen: --kid " + problem + N + N + CommandLine.USAGE, run.err(), "--kid " + kid);
  }

  @Test
  void anOrdinaryKidWithASpaceOrALetterBeyondAsciiIsTaken() throws Exception {
    Run run = Run.of("keygen", "--kid", "schlüssel 2");

    assertEquals(0, run.status(), run.err());
    assertEquals(List.of("schlüssel 2"), SigningKeys.parse(run.out()).keyIds());
  }

  @Test
  void aFileWithAKidThatApiManagementWouldNotMatchCannotBeAddedTo() throws Exception {
    Path file = dir.resolve("keys.json");
    Files.writeString(
        file, new JWKSet(new RSAKeyGenerator(2048).keyID("old ").generate()).toString(false));

    Run run = Run.of("keygen", "--add-to", file.toString());

    assertEquals(1, run.status());
    assertEquals("", run.out());
    assertEquals(
        "keygen: "
            + file
            + " is not a usable signing key file: key #1: its kid must not start or end with white"
            + " space (was \"old \")"
            + N,
        run.err());
  }

  @Test
  void aFileThatIsNotJsonIsRefusedWithoutQuotingIt() throws Exception {
    Path file = dir.resolve("keys.json");
    Files.writeString(file, "{\"keys\": [{\"kty\": \"RSA\", \"d\": \"SECRET-MATERIAL\"");

    Run run = Run.of("keygen", "--add-to", file.toString());

    assertEquals(1, run.status());
    assertTrue(run.err().startsWith("keygen: " + file + " is not a usable signing key file: "));
    assertFalse(run.err().contains("SECRET-MATERIAL"), run.err());
  }
}
