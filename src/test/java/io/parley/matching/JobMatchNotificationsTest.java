package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.push.FcmPushGateway;
import io.parley.push.PushMessage;
import io.parley.user.User;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A job match's notification is always one FCM can push, whatever the platform's rows hold. */
class JobMatchNotificationsTest {
  @Test
  void anOrdinaryMatchIsToldInFull() {
    User.Draft draft =
        JobMatchNotifications.draft(new JobMatch("j-1", "Backend Engineer", "Acme", 0.9, List.of("4/5 skills", "senior", "Paris")));

    assertThat(draft.title()).isEqualTo("New job match: Backend Engineer at Acme");
    assertThat(draft.body()).isEqualTo("90% match: 4/5 skills, senior, Paris");
    assertThat(draft.data()).contains("\"company\":\"Acme\"").contains("\"reasons\"");
    assertThat(draft.push()).isNull();
  }

  @Test
  void aJobWithoutATitleIsToldByItsCompanyOrAsAJobMatch() {
    List<String> reasons = List.of("4/5 skills", "senior", "Paris");

    assertThat(JobMatchNotifications.draft(new JobMatch("j-1", null, "Acme", 0.9, reasons)).title())
        .isEqualTo("New job match at Acme");
    assertThat(JobMatchNotifications.draft(new JobMatch("j-1", "  ", "Acme", 0.9, reasons)).title())
        .isEqualTo("New job match at Acme");
    assertThat(JobMatchNotifications.draft(new JobMatch("j-1", null, null, 0.9, reasons)).title())
        .isEqualTo("New job match");
    assertThat(JobMatchNotifications.draft(new JobMatch("j-1", "", " ", 0.9, reasons)).title())
        .isEqualTo("New job match");
  }

  @Test
  void aLongLocationShortensTheBodyUntilThePushFits() {
    String location = "Paris, Île-de-France, ".repeat(300);
    User.Draft draft =
        JobMatchNotifications.draft(new JobMatch("j-2", "Backend Engineer", "Acme", 0.9, List.of("4/5 skills", "senior", location)));

    assertThat(bytes(draft)).isLessThanOrEqualTo(FcmPushGateway.MAX_PAYLOAD_BYTES).isGreaterThan(FcmPushGateway.MAX_PAYLOAD_BYTES - 16);
    assertThat(draft.body()).startsWith("90% match: 4/5 skills, senior, Paris").endsWith("…");
    assertThat(draft.push()).isNull();
  }

  @Test
  void aHugeCompanyLeavesTheDataAndTheBodyDoesWithoutTheirCopies() {
    String company = "Acme ".repeat(2000);
    User.Draft draft =
        JobMatchNotifications.draft(new JobMatch("j-3", "Backend Engineer", company, 0.9, List.of("4/5 skills", "senior")));

    assertThat(bytes(draft)).isLessThanOrEqualTo(FcmPushGateway.MAX_PAYLOAD_BYTES);
    assertThat(draft.data()).contains("\"jobId\":\"j-3\"").doesNotContain("company").doesNotContain("reasons");
    assertThat(draft.title()).hasSizeLessThanOrEqualTo(200);
    assertThat(draft.body()).isEqualTo("90% match: 4/5 skills, senior");
    assertThat(draft.push()).isNull();
  }

  @Test
  void aMatchThatCannotFitGoesToTheInboxOnly() {
    User.Draft draft =
        JobMatchNotifications.draft(new JobMatch("j".repeat(5000), "Backend Engineer", "Acme", 0.9, List.of("senior")));

    assertThat(draft.push()).isFalse();
  }

  private static int bytes(User.Draft draft) {
    return FcmPushGateway.payloadBytes(PushMessage.of(draft));
  }
}
