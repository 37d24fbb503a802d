/** The panel's view type, shared by the serializer (registered at activation) and the panel. */
export const panelViewType = 'promptWorkbench.panel';
