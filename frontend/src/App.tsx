import { useEffect, useState } from "react";
import { HashRouter, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import AppLayout from "@cloudscape-design/components/app-layout";
import BreadcrumbGroup from "@cloudscape-design/components/breadcrumb-group";
import Flashbar, { type FlashbarProps } from "@cloudscape-design/components/flashbar";
import TopNavigation, { type TopNavigationProps } from "@cloudscape-design/components/top-navigation";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import Alert from "@cloudscape-design/components/alert";
import { I18nProvider } from "@cloudscape-design/components/i18n";
import messages from "@cloudscape-design/components/i18n/messages/all.en";
import { HelpContent } from "./components/help";
import { flashesOn, ShellProvider, useShell } from "./components/shell";
import { VersionFooter } from "./components/VersionFooter";
import { setTimeZonePreference, timeZonePreference, type TimeZonePreference } from "./time";
import { DashboardPage } from "./pages/Dashboard";
import { ExecutionDetailPage } from "./pages/ExecutionDetail";
import { ExecutionsPage } from "./pages/Executions";
import { GroupDetailPage } from "./pages/GroupDetail";
import { GroupEditorPage } from "./pages/GroupEditor";
import { GroupsPage } from "./pages/Groups";
import { PlanEditorPage } from "./pages/PlanEditor";
import { PlanDetailPage, PlansPage } from "./pages/Plans";
import { RunningInstancesPage } from "./pages/RunningInstances";
import { SessionContext, useSession, type Session } from "./session";

function activeHref(path: string): string {
  const top = path.split("/")[1] ?? "";
  return top ? `#/${top}` : "#/";
}

/** The top navigation: the product, the time zone times are shown in, and who is signed in (with sign out). */
function TopBar({ zone, onZone }: { zone: TimeZonePreference; onZone: (zone: TimeZonePreference) => void }) {
  const session = useSession();
  const who: TopNavigationProps.Utility =
    session.role === "sandbox"
      ? { type: "button", text: "Sandbox, no sign-in", iconName: "user-profile", ariaLabel: "Sandbox, no sign-in" }
      : {
          type: "menu-dropdown",
          text: session.user ?? "Signed in",
          description: `Group: ${session.role}`,
          iconName: "user-profile",
          items: [{ id: "signout", text: "Sign out" }],
          onItemClick: ({ detail }) => {
            if (detail.id === "signout") session.signOut?.();
          },
        };
  return (
    <div id="top-navigation" style={{ position: "sticky", top: 0, zIndex: 1002 }}>
      <TopNavigation
        identity={{ href: "#/", title: "DRS Orchestrator" }}
        utilities={[
          {
            type: "menu-dropdown",
            text: zone === "UTC" ? "Times in UTC" : "Times in local time",
            ariaLabel: "Time zone",
            iconName: "status-pending",
            items: [
              { id: "UTC", text: "Show times in UTC", checked: zone === "UTC", itemType: "checkbox" },
              { id: "LOCAL", text: "Show times in local time", checked: zone === "LOCAL", itemType: "checkbox" },
            ],
            onItemClick: ({ detail }) => onZone(detail.id === "LOCAL" ? "LOCAL" : "UTC"),
          },
          who,
        ]}
      />
    </div>
  );
}

function Layout() {
  const navigate = useNavigate();
  const location = useLocation();
  const { breadcrumbs, flashes, dismiss, leave, help, openHelp, closeHelp } = useShell();
  const [navOpen, setNavOpen] = useState(true);
  const [zone, setZone] = useState<TimeZonePreference>(timeZonePreference());
  useEffect(() => leave(location.pathname), [location.pathname, leave]);
  const follow = (event: CustomEvent<{ href: string; external?: boolean }>) => {
    if (event.detail.external || !event.detail.href.startsWith("#")) return;
    event.preventDefault();
    navigate(event.detail.href.slice(1) || "/");
  };
  const shown: FlashbarProps.MessageDefinition[] = flashesOn(flashes, location.pathname).map((f) => ({
    id: f.id,
    type: f.type,
    header: f.header,
    content: f.content,
    dismissible: true,
    dismissLabel: "Dismiss",
    onDismiss: () => dismiss(f.id),
  }));
  return (
    <>
      <TopBar
        zone={zone}
        onZone={(z) => {
          setTimeZonePreference(z);
          setZone(z);
        }}
      />
    <AppLayout
      headerSelector="#top-navigation"
      navigationOpen={navOpen}
      onNavigationChange={({ detail }) => setNavOpen(detail.open)}
      tools={<HelpContent topic={help} />}
      toolsOpen={help !== null}
      onToolsChange={({ detail }) => (detail.open ? openHelp(help ?? "") : closeHelp())}
      ariaLabels={{
        navigation: "Navigation",
        navigationToggle: "Open navigation",
        navigationClose: "Close navigation",
        tools: "Help panel",
        toolsToggle: "Open help panel",
        toolsClose: "Close help panel",
        notifications: "Notifications",
      }}
      notifications={
        <Flashbar
          items={shown}
          stackItems={shown.length > 2}
          i18nStrings={{
            ariaLabel: "Notifications",
            notificationBarText: "Notifications",
            notificationBarAriaLabel: "View all notifications",
            errorIconAriaLabel: "Error",
            successIconAriaLabel: "Success",
            warningIconAriaLabel: "Warning",
            infoIconAriaLabel: "Information",
            inProgressIconAriaLabel: "In progress",
          }}
        />
      }
      breadcrumbs={<BreadcrumbGroup items={breadcrumbs} ariaLabel="Breadcrumbs" onFollow={follow} />}
      navigation={
        <>
        <SideNavigation
          header={{ text: "DRS Orchestrator", href: "#/" }}
          activeHref={activeHref(location.pathname)}
          onFollow={follow}
          items={[
            { type: "link", text: "Dashboard", href: "#/" },
            { type: "link", text: "Protection groups", href: "#/protection-groups" },
            { type: "link", text: "Recovery plans", href: "#/recovery-plans" },
            { type: "link", text: "Executions", href: "#/executions" },
            { type: "link", text: "Instances still running", href: "#/running-instances" },
          ]}
        />
        <VersionFooter />
        </>
      }
      content={
        <Routes key={zone}>
          <Route path="/" element={<DashboardPage />} />
          <Route path="/protection-groups" element={<GroupsPage />} />
          <Route path="/protection-groups/new" element={<GroupEditorPage />} />
          <Route path="/protection-groups/:groupId" element={<GroupDetailPage />} />
          <Route path="/protection-groups/:groupId/edit" element={<GroupEditorPage />} />
          <Route path="/recovery-plans" element={<PlansPage />} />
          <Route path="/recovery-plans/new" element={<PlanEditorPage />} />
          <Route path="/recovery-plans/:planId" element={<PlanDetailPage />} />
          <Route path="/recovery-plans/:planId/edit" element={<PlanEditorPage />} />
          <Route path="/executions" element={<ExecutionsPage />} />
          <Route path="/executions/:executionId" element={<ExecutionDetailPage />} />
          <Route path="/running-instances" element={<RunningInstancesPage />} />
          <Route path="*" element={<Alert type="error" header="Not found">No page at {location.pathname}.</Alert>} />
        </Routes>
      }
    />
    </>
  );
}

export function App({ session }: { session: Session }) {
  return (
    <I18nProvider locale="en" messages={[messages]}>
      <SessionContext.Provider value={session}>
        <ShellProvider>
          <HashRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Layout />
          </HashRouter>
        </ShellProvider>
      </SessionContext.Provider>
    </I18nProvider>
  );
}
