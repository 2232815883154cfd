import { useState } from "react";
import { HashRouter, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import AppLayout from "@cloudscape-design/components/app-layout";
import BreadcrumbGroup from "@cloudscape-design/components/breadcrumb-group";
import Flashbar from "@cloudscape-design/components/flashbar";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import Alert from "@cloudscape-design/components/alert";
import { ShellProvider, useShell } from "./components/shell";
import { VersionFooter } from "./components/VersionFooter";
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

function Layout() {
  const navigate = useNavigate();
  const location = useLocation();
  const { breadcrumbs, flashes } = useShell();
  const session = useSession();
  const [navOpen, setNavOpen] = useState(true);
  const follow = (event: CustomEvent<{ href: string; external?: boolean }>) => {
    if (event.detail.external || !event.detail.href.startsWith("#")) return;
    event.preventDefault();
    navigate(event.detail.href.slice(1) || "/");
  };
  const footer =
    session.role === "sandbox"
      ? [{ type: "link" as const, text: "Sandbox: no sign-in", href: "#/" }]
      : [{ type: "link" as const, text: `${session.user} (${session.role}) — sign out`, href: "#signout" }];
  return (
    <AppLayout
      navigationOpen={navOpen}
      onNavigationChange={({ detail }) => setNavOpen(detail.open)}
      toolsHide
      ariaLabels={{ navigation: "Navigation", navigationToggle: "Open navigation", navigationClose: "Close navigation" }}
      notifications={<Flashbar items={flashes} />}
      breadcrumbs={<BreadcrumbGroup items={breadcrumbs} ariaLabel="Breadcrumbs" onFollow={follow} />}
      navigation={
        <>
        <SideNavigation
          header={{ text: "DRS Orchestrator", href: "#/" }}
          activeHref={activeHref(location.pathname)}
          onFollow={(event) => {
            if (event.detail.href === "#signout") {
              event.preventDefault();
              session.signOut?.();
              return;
            }
            follow(event);
          }}
          items={[
            { type: "link", text: "Dashboard", href: "#/" },
            { type: "link", text: "Protection groups", href: "#/protection-groups" },
            { type: "link", text: "Recovery plans", href: "#/recovery-plans" },
            { type: "link", text: "Executions", href: "#/executions" },
            { type: "link", text: "Instances still running", href: "#/running-instances" },
            { type: "divider" },
            ...footer,
          ]}
        />
        <VersionFooter />
        </>
      }
      content={
        <Routes>
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
  );
}

export function App({ session }: { session: Session }) {
  return (
    <SessionContext.Provider value={session}>
      <ShellProvider>
        <HashRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Layout />
        </HashRouter>
      </ShellProvider>
    </SessionContext.Provider>
  );
}
